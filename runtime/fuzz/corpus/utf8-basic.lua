return utf8.char(72, 228, 8364, 128512), utf8.len("häll€"), utf8.codepoint("€"), utf8.offset("aé€", 3), #utf8.charpattern
