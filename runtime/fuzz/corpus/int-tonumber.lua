return tonumber("10"), tonumber(" 0x10 "), tonumber("1.5"), tonumber("1e3"), tonumber("z", 36), tonumber("777", 8), tonumber("inf"), tonumber("nan")
