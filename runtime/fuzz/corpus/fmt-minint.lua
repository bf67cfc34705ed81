return string.format("%d|%x|%5s", math.mininteger, -1, "ab")
