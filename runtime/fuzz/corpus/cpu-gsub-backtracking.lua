return string.gsub(string.rep("a", 20000), ".-.-.-.-x", "")
