local env = {x = 5}
return load("return 1 + 1")(), load("return x", "c", "t", env)(), load("return x", "c", nil, env)()
