local s = string.rep("a", 80000)
return s:find(string.rep("a", 40000) .. "b", 1, true)
