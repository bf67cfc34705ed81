return string.format("%a", 1)
