-- SPDX-License-Identifier: GPL-2.0
-- Connection driver for the script tests (http_cache.host.bats,
-- http_guard.host.bats): SRC holds the script; connections are fresh
-- copies of it sharing one stand-in store.  RECV / SEND name the entries
-- (default cache_recv / cache_send).  Input lines, played in order:
--   "CONN recv TEXT"   the peer sent TEXT (\r \n \0 escapes)
--   "CONN send TEXT"   the server wrote TEXT
--   "- clock N"        N seconds pass
-- Each recv/send line prints one transcript line:
--   "CONN recv pass|drop|replace:TEXT|reset|close [sent:TEXT]"
--   "CONN send pass|drop|replace:TEXT"
--
-- The store stand-in has kernel/store.c's limits and semantics: keys of
-- 1..256 bytes (else an error), string or integer values, ttl 0..1 year
-- (else an error; 0: no expiry; an entry expires when its second comes),
-- at most 4096 entries and 1 MiB of (56 + key + value) bytes, expired
-- entries dropped only when full; a full store answers nil, "store full".
-- luaulp.CLOSE is a token of this driver (`luaulp run` has none).

RECV = RECV or "cache_recv"
SEND = SEND or "cache_send"

local now = 1000000
local CLOSE = setmetatable({}, { __tostring = function() return "CLOSE" end })
local KEY_MAX, MAX_ENTRIES, MAX_BYTES, COST = 256, 4096, 1 << 20, 56
local mem, entries, bytes = {}, 0, 0

local function key(k)
	if type(k) ~= "string" or #k == 0 or #k > KEY_MAX then
		error("bad argument #1 (key of 1 to 256 bytes expected)", 2)
	end
	local e = mem[k]
	if e and e.exp ~= 0 and now >= e.exp then
		return k, nil, e		-- expired: invisible, still counted
	end
	return k, e, e
end

local function cost(k, v)
	return COST + #k + (type(v) == "string" and #v or 0)
end

local function put(k, v, ttl)
	ttl = ttl or 0
	if math.type(ttl) ~= "integer" or ttl < 0 or ttl > 365 * 24 * 3600 then
		error("bad argument #3 (ttl of 0 to 1 year expected)", 2)
	end
	local _, _, old = key(k)
	local c, freed = cost(k, v), old and cost(k, old.v) or 0
	if bytes - freed + c > MAX_BYTES or (not old and entries >= MAX_ENTRIES) then
		for ek, e in pairs(mem) do
			if e.exp ~= 0 and now >= e.exp then
				mem[ek], entries, bytes = nil, entries - 1, bytes - cost(ek, e.v)
			end
		end
		old = mem[k]
		freed = old and cost(k, old.v) or 0
		if bytes - freed + c > MAX_BYTES or (not old and entries >= MAX_ENTRIES) then
			return nil, "store full"
		end
	end
	if old then
		entries, bytes = entries - 1, bytes - freed
	end
	mem[k] = { v = v, exp = ttl > 0 and now + ttl or 0 }
	entries, bytes = entries + 1, bytes + c
	return true
end

local store = {
	get = function(k)
		local _, e = key(k)
		return e and e.v
	end,
	set = function(k, v, ttl)
		if type(v) ~= "string" and math.type(v) ~= "integer" then
			error("bad argument #2 (string or integer expected)", 2)
		end
		return put(k, v, ttl)
	end,
	incr = function(k, d, ttl)
		local _, e = key(k)
		if e then
			e.v = e.v + (d or 1)
			return e.v
		end
		put(k, d or 1, ttl)
		return d or 1
	end,
	delete = function(k)
		local _, e, any = key(k)
		if any then
			mem[k], entries, bytes = nil, entries - 1, bytes - cost(k, any.v)
		end
		return e ~= nil
	end,
}
local conns = {}

local function conn(name)
	local c = conns[name]
	if c then
		return c
	end
	c = { sent = {} }
	local env = setmetatable({}, { __index = _G })
	env.luaulp = {
		PASS = false, DROP = true, RESET = luaulp.RESET, CLOSE = CLOSE, store = store,
		send = function(s) c.sent[#c.sent + 1] = s; return #s end,
		log = function() end, time = function() return now end,
		clock = function() return now * 1000 end,
		socket = { family = "inet", local_addr = "127.0.0.1",
			   local_port = tonumber(name:match(":(%d+)$")) or 80,
			   remote_addr = "127.0.0.1", remote_port = 40000 },
	}
	assert(load(SRC, "=script", "t", env))()
	c.env = env
	conns[name] = c
	return c
end

local function esc(s)
	return (s:gsub("\r", "\\r"):gsub("\n", "\\n"):gsub("%z", "\\0"))
end

local function unesc(s)
	return (s:gsub("\\r", "\r"):gsub("\\n", "\n"):gsub("\\0", "\0"))
end

local function verdict(v)
	return v == nil and "pass" or v == true and "drop" or
		v == luaulp.RESET and "reset" or v == CLOSE and "close" or
		type(v) == "string" and ("replace:" .. esc(v)) or tostring(v)
end

function drive(input)
	local out = {}
	for line in input:gmatch("[^\n]+") do
		local name, dir, text = line:match("^(%S+) (%S+) ?(.*)$")
		if dir == "clock" then
			now = now + tonumber(text)
		else
			local c = conn(name)
			text = unesc(text)
			c.sent = {}
			local v = c.env[dir == "recv" and RECV or SEND](text, #text, false)
			local what = verdict(v)
			if #c.sent > 0 then
				what = what .. " sent:" .. esc(table.concat(c.sent))
			end
			out[#out + 1] = name .. " " .. dir .. " " .. what
		end
	end
	return table.concat(out, "\n") .. "\n"
end
