return ("hello"):upper(), ("ABC"):lower(), ("abc"):rep(3, ","), ("abc"):reverse(), #"a\0b", ("abcdef"):sub(2, -2), ("abc"):byte(1, -1)
