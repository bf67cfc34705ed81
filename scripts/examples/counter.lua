-- SPDX-License-Identifier: GPL-2.0
-- counter.lua: count reads, bytes and HTTP request heads, per connection and
-- (when the shared store is there) across all connections of this user:
--   counter.reads, counter.bytes, counter.requests, counter.connections
-- Every byte is delivered unchanged.
--   rule: script = "examples/counter.lua"; entry = "count";
-- A request head ends with an empty line ("\r\n\r\n"); the last three bytes
-- of each read are kept so a terminator split across reads is counted once.
-- (Bodies are not skipped: a body holding "\r\n\r\n" counts too; see
-- http_guard.lua for real framing.)

local reads, bytes, requests = 0, 0, 0
local tail = ""
local store = luaulp.store

if store then
	store.incr("counter.connections", 1)
end

function count(data, size)
	reads = reads + 1
	bytes = bytes + size
	local s = tail .. data
	local n, pos = 0, 1
	while true do
		local i = string.find(s, "\r\n\r\n", pos, true)
		if not i then
			break
		end
		n = n + 1
		pos = i + 4
	end
	-- keep what could start a terminator, but not bytes already counted
	local keep = string.sub(s, -3)
	if #s - pos + 1 < #keep then
		keep = string.sub(s, pos)
	end
	tail = keep
	requests = requests + n
	if store then
		store.incr("counter.reads", 1)
		store.incr("counter.bytes", size)
		if n > 0 then
			store.incr("counter.requests", n)
		end
	end
	return nil
end

-- For tests and logs: this connection's counts.
function counts()
	return string.format("reads=%d bytes=%d requests=%d", reads, bytes, requests)
end
