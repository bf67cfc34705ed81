return ('say "hi" now'):match('(["\'])(.-)%1'), ("xyzzy"):find("(z)%1")
