local n = 0
for i = 1, 10, 0 do n = n + 1 end
return n
