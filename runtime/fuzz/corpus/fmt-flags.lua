return string.format("%+d|% d|%5.3d|%.3x|%#x|%#o|%-3c|", 5, 5, 7, 10, 255, 8, 66)
