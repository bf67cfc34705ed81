local n = 0
for k, v in pairs({a = 1, b = 2, 3, 4}) do n = n + 1 end
local m = 0
for i, v in ipairs({1, 2, nil, 4}) do m = m + 1 end
return #{1, 2, 3}, n, m, next({}), rawlen({1, 2}), rawequal("a", "a")
