return math.maxinteger, math.mininteger, -9223372036854775807 - 1
