local t = {}
t[4 / 2] = "two"
t[2^2] = "four"
return t[2], t[4], #t
