return setmetatable({}, {__tostring = function() return 1 end}), pcall(tostring, setmetatable({}, {__tostring = function() return {} end}))
