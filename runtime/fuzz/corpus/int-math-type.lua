return math.type(1), math.type(7 / 2), math.type(2^3), math.type("1"), math.type(nil)
