local t = table.move({1, 2, 3}, 1, 3, 2)
return table.concat(t, ","), table.unpack({1, 2, 3}, 2), table.pack(1, nil, 3).n
