local t = {}
for p, c in utf8.codes("aé€") do t[#t + 1] = p .. ":" .. c end
return table.concat(t, ",")
