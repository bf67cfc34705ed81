return ("f(a(b)c)d"):match("%b()"), (("THE (quick) fox"):gsub("%f[%a]%a+", "W")), ("2024-01-31"):match("(%d+)-(%d+)-(%d+)"), ("[x]"):match("%[(.)%]"), ("abc"):match("()b()")
