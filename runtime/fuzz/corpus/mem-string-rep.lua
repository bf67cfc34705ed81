return #("x"):rep(1000000)
