return 1, nil, true, "s", -1
