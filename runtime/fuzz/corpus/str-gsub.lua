return (("hello world"):gsub("o", "0")), (("abc"):gsub("%w", "%0%0")), (("$a $b"):gsub("%$(%w)", {a = "1", b = 2})), (("x y"):gsub("%w", function(c) return c:upper() end)), ("aaa"):gsub("a", "b", 2)
