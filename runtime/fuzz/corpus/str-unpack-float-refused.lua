return string.unpack("f", "\0\0\0\0")
