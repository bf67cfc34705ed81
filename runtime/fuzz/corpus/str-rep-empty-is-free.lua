return #string.rep("", 1 << 62), #string.rep("", 1 << 62, ""), string.rep("ab", 3, "")
