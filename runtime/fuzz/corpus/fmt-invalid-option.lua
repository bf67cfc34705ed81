return string.format("%y", 1)
