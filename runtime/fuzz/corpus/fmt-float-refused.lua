return string.format("%5.1f", 1)
