return string.format("%d %s %s", "12", 7 / 2, true)
