local s = ("x"):rep(1000)
for i = 1, 10 do s = s:gsub("x", "xx") end
return #s
