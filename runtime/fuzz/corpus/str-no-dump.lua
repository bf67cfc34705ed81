return string.dump
