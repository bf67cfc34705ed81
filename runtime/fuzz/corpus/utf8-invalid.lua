return utf8.len("\xff"), utf8.len("ab\xc3", 1)
