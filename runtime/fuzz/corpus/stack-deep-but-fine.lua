local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end
local function g(n) if n == 0 then return 0 end local ok, v = pcall(g, n - 1) return v + 1 end
return f(1000), g(8)
