setmetatable(setmetatable({}, {__metatable = false}), {})
