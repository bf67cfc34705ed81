local t = {}
for i = 1, 3000 do t[i] = ("x"):rep(50) end
return #table.concat(t)
