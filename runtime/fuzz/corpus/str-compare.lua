return "a" < "b", "abc" < "abd", "Z" < "a", "" < "a", "a\0b" < "a\0c", "\xff" > "a"
