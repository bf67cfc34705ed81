local n = 0
for a in string.rep("a", 30000):gmatch("a-a-a-a-a-a-b") do n = n + 1 end
return n
