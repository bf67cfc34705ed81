local function f(n) if n == 0 then return 0 end return f(n - 1) + f(n - 1) end
return f(40)
