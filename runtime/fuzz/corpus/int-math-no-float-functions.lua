return math.sqrt, math.sin, math.pi, math.huge, math.random, math.exp
