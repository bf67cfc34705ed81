return utf8.char(-1)
