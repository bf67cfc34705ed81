return table.concat({1, "a", 2}, "-"), table.concat({}, "x"), table.concat({1, 2, 3}, ",", 2, 3)
