local log = {}
local t = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k; rawset(t, k, v * 10) end})
t.a = 1; t.a = 2
return t.a, #log, rawget(t, "a"), getmetatable(setmetatable({}, {__metatable = "locked"}))
