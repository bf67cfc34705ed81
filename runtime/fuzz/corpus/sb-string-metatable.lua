return getmetatable("").__index == string, ("x"):rep(2)
