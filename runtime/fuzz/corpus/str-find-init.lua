return string.find("abcabc", "b", 3), string.find("abc", "", 10), string.find("abc", "", 4), string.find("abc", "c", -1)
