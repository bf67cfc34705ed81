local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
local _, x = coroutine.resume(co, 1)
local _, y = coroutine.resume(co, 10)
return x, y, coroutine.status(co), coroutine.resume(co)
