return string.format("%d|%5d|%-5d|%05d|%x|%X|%o|%c|%i|%u", 42, 42, 42, 42, 255, 255, 8, 65, -3, 7)
