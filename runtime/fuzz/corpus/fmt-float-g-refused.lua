return string.format("%g", 1)
