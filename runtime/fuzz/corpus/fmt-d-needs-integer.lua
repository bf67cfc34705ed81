return string.format("%d", "x")
