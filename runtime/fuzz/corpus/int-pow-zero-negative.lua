local z = 0
return 0^-1, z^-1, z^-2
