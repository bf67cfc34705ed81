return select("#", 1, nil, 3), select(2, "a", "b", "c"), select(-1, "a", "b")
