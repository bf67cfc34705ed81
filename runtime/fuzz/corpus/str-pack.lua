return string.unpack(">I2", string.pack(">I2", 258)), #string.pack("i8", -1), string.unpack("<i4", "\xff\xff\xff\xff"), string.pack("z", "ab"):byte(3), string.packsize("i4i8")
