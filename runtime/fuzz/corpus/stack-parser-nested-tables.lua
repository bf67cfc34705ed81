local f, e = load("return " .. string.rep("{", 300) .. string.rep("}", 300))
return f, (e:match("C levels"))
