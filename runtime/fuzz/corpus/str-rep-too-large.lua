return string.rep("ab", 1 << 62, "c")
