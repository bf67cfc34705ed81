local mt = {
  __add = function(a, b) return a.v + b.v end,
  __tostring = function(s) return "V" .. s.v end,
  __eq = function(a, b) return a.v == b.v end,
  __lt = function(a, b) return a.v < b.v end,
  __le = function(a, b) return a.v <= b.v end,
  __concat = function(a, b) return "cat" end,
  __len = function() return 42 end,
  __call = function(self, x) return x * 2 end,
  __unm = function(a) return -a.v end,
  __index = function(t, k) return k .. "!" end,
}
local a, b = setmetatable({v = 1}, mt), setmetatable({v = 2}, mt)
return a + b, tostring(a), a == setmetatable({v = 1}, mt), a < b, b <= a, a .. "x", #a, a(21), -b, a.zz
