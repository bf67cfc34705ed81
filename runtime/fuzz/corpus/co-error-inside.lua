local co = coroutine.create(function() error("inner") end)
return coroutine.resume(co)
