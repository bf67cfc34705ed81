local function f() return coroutine.wrap(f)() end
local ok, e = pcall(f)
return ok, e:find("C stack overflow", 1, true) ~= nil
