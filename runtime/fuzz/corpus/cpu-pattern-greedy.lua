return string.find(string.rep("a", 60000), ".*.*.*b")
