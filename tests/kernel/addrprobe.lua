-- Address-recovery probe (tests/kernel/sandbox.vm.bats): what a script can
-- learn of the pointer Lua hashes a key by.
--
-- Lua 5.3 places a light C function, light userdata or GC object in a
-- table's hash part at slot h % ((size - 1) | 1), h being point2uint of its
-- address (stock Lua: the low 32 bits).  Fill a table of SIZE nodes with
-- integer keys K + j (each lands in slot j), set them all to nil (the keys
-- stay), then insert x: it takes the free slot of its main position,
-- overwriting that node's key, so next(t, K + j) fails for exactly that j.
-- Sizes 4..2048 give h modulo 3, 7, ..., 2047, whose lcm exceeds 2^32: the
-- Chinese remainder theorem gives h itself.
local K = 1 << 40

local function slot(x, size)
  local t = {}
  for j = 0, size - 1 do t[K + j] = true end
  for j = 0, size - 1 do t[K + j] = nil end
  t[x] = true
  for j = 0, size - 1 do
    if not pcall(next, t, K + j) then return j end
  end
  return nil
end

local function gcd(a, b)
  while b ~= 0 do a, b = b, a % b end
  return a
end

-- "ok HHHHHHHH" (h, consistent over every size) or "inconsistent ...".
function probe(x)
  local a, m = 0, 1
  local size = 4
  while size <= 2048 do
    local n = size - 1
    local r = slot(x, size)
    if not r then return "no slot at size " .. size end
    local v, found = a, false
    for _ = 0, n - 1 do
      if v % n == r then found = true break end
      v = v + m
    end
    if not found then return "inconsistent at size " .. size end
    m = m // gcd(m, n) * n
    a = v % m
    size = size * 2
  end
  if m <= 0xffffffff or a > 0xffffffff then return "ambiguous" end
  return string.format("ok %08x", a)
end
