return string.match("a", string.rep("()", 17))
