return xpcall(function() error("a") end, function(m) return "H:" .. m end)
