local a = string.rep("a", 60000)
local b = string.rep("a", 59999) .. "b"
local n = 0
while true do if a < b then n = n + 1 end end
