local hi = "\xe0\xc0\xe9"
return hi:upper() == hi, hi:lower() == hi, (("\xe9t\xe9"):gsub("%a", "x")) == "\xe9x\xe9", select(2, ("\xff\xa0 \t"):gsub("%s", "")), select(2, ("a\xe9Z"):gsub("%l", ""))
