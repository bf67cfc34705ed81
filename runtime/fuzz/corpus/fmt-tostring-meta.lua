return string.format("%s", setmetatable({}, {__tostring = function() return "obj" end}))
