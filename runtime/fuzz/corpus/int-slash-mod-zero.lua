return (4/2) % 0
