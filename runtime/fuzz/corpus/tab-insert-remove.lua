local t = {1, 2, 3}
table.insert(t, 1, 0)
table.insert(t, 4)
local r = table.remove(t, 2)
local last = table.remove(t)
return table.concat(t, ","), r, last, select("#", table.unpack(t)), table.remove({})
