local main, ismain = coroutine.running()
local inner = coroutine.wrap(function() return coroutine.isyieldable(), (coroutine.running()) ~= main end)
return ismain, coroutine.isyieldable(), inner()
