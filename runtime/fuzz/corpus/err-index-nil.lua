return select(2, pcall(function() local x = nil; return x.y end))
