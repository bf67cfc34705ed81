return string.rep("x", 300)
