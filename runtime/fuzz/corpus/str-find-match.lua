return string.find("hello world", "o w"), string.find("a.b", ".", 1, true), string.match("key=val", "(%w+)=(%w+)"), string.match("  x  ", "^%s*(.-)%s*$")
