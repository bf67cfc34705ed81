return math.abs(-5), math.abs(math.mininteger), math.max(3, 9, -1), math.min(3, 9, -1), math.tointeger("8"), math.tointeger({}), math.ult(1, -1), math.fmod(-7, 3), math.floor(5), math.ceil(-5)
