local f, e = load("return " .. string.rep("(", 300) .. "1" .. string.rep(")", 300))
return f, e:match("too many C levels %(limit is %d+%)")
