return string.format("%s|%10s|%-4s|%.2s|%q|%%", "hi", "right", "l", "trunc", "a\n\0b\"")
