return io, os, debug, package, require, dofile, loadfile, print, bit32, string.dump
