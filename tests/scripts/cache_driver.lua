-- SPDX-License-Identifier: GPL-2.0
-- Test driver for scripts/http_cache.lua (tests/scripts/http_cache.host.bats):
-- SRC holds the script; connections are fresh copies of it sharing one
-- in-memory store.  Input lines "CONN recv|send TEXT" (TEXT with \r \n
-- escapes) are played in order; each prints one transcript line:
--   "CONN recv pass|drop|replace:TEXT|reset [sent:TEXT]", "CONN send pass".

local mem = {}
local mock = {
	get = function(k) return mem[k] end,
	set = function(k, v) mem[k] = v; return true end,
	incr = function(k, d) mem[k] = (mem[k] or 0) + (d or 1); return mem[k] end,
	delete = function(k) local had = mem[k] ~= nil; mem[k] = nil; return had end,
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
		PASS = false, DROP = true, RESET = luaulp.RESET, store = mock,
		send = function(s) c.sent[#c.sent + 1] = s; return #s end,
		log = function() end, time = luaulp.time, clock = luaulp.clock,
		socket = luaulp.socket,
	}
	assert(load(SRC, "=http_cache", "t", env))()
	c.env = env
	conns[name] = c
	return c
end

local function esc(s)
	return (s:gsub("\r", "\\r"):gsub("\n", "\\n"))
end

local function unesc(s)
	return (s:gsub("\\r", "\r"):gsub("\\n", "\n"))
end

function drive(input)
	local out = {}
	for line in input:gmatch("[^\n]+") do
		local name, dir, text = line:match("^(%S+) (%S+) (.*)$")
		local c = conn(name)
		text = unesc(text)
		if dir == "recv" then
			c.sent = {}
			local v = c.env.cache_recv(text, #text, false)
			local what = v == nil and "pass" or v == true and "drop" or
				v == luaulp.RESET and "reset" or
				type(v) == "string" and ("replace:" .. esc(v)) or tostring(v)
			if #c.sent > 0 then
				what = what .. " sent:" .. esc(table.concat(c.sent))
			end
			out[#out + 1] = name .. " recv " .. what
		else
			local v = c.env.cache_send(text, #text, false)
			out[#out + 1] = name .. " send " .. (v == nil and "pass" or tostring(v))
		end
	end
	return table.concat(out, "\n") .. "\n"
end
