return math.max()
