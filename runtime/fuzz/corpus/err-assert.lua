assert(false, "assertion msg")
