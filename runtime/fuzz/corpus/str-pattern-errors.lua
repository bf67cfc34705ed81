return pcall(string.find, "a", "[a"), pcall(string.find, "a", "%"), pcall(string.rep)
