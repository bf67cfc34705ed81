local ok, e = pcall(function() local s = "x" while true do s = s .. s end end)
collectgarbage()
return ok, e, #("y"):rep(1000)
