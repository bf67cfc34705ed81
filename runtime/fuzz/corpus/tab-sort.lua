local t = {5, 2, 8, 1, 9, 3}
table.sort(t)
local u = {"b", "c", "a"}
table.sort(u, function(a, b) return a > b end)
return table.concat(t, ","), table.concat(u)
