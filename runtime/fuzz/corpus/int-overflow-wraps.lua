return math.maxinteger + 1 == math.mininteger, math.mininteger // -1, math.mininteger % -1, math.mininteger / -1, math.maxinteger * 2
