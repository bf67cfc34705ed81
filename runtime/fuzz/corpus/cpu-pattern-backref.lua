return string.find(string.rep("a", 60000), "(a*)%1b")
