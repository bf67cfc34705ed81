local t = {}
return t.x + 1
