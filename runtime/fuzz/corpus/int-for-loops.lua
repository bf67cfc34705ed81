local s = 0
for i = 10, 1, -3 do s = s + i end
local n = 0
for i = 1, 9 / 3 do n = n + i end
return s, n
