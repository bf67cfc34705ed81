return string.format("%q", 12)
