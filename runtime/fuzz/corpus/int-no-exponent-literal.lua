return 1e3
