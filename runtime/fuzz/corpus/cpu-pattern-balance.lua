return string.find(string.rep("(", 100000), "%b()")
