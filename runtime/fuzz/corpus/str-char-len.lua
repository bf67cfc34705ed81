return string.char(72, 105), #string.char(), ("x"):rep(0), ("x"):rep(-1)
