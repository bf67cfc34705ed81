-- Lua 5.3 (not 5.4): the loop variable wraps past maxinteger, forever
for i = math.maxinteger - 2, math.maxinteger do end
