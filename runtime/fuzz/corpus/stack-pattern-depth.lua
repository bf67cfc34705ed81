return string.find(string.rep("x", 60), string.rep("x?", 60) .. "$")
