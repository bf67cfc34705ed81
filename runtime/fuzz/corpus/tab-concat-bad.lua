return table.concat({1, {}, 3})
