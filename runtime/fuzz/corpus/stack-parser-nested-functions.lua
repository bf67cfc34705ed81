local f, e = load(string.rep("function f() ", 100) .. string.rep("end ", 100))
return f, (e:match("C levels") or e:match("overflow"))
