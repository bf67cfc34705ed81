return string.pack("d", 1)
