-- SPDX-License-Identifier: GPL-2.0
-- Split harness for the script tests (tests/scripts/helpers.bash: splits).
--
-- The helper prepends SRC (the script under test, as a long string), ENTRY
-- (its receive entry) and LEN (the input's length), and feeds the input
-- 2*LEN-1 times, LEN bytes per call.  Call k runs a fresh copy of the script
-- (its own globals and chunk-level state) over the input:
--   k in 1..LEN        cut into chunks of k bytes   -> "chunk K: VERDICT"
--   k in LEN+1..2LEN-1 cut in two at byte k-LEN     -> "split K: VERDICT"
-- VERDICT is "pass" (every byte delivered unchanged), "altered" (delivered
-- bytes differ from the input), or "reset REASON, delivered N" / "close
-- REASON, delivered N" (REASON from the 400 the script sent: the text after
-- "Bad Request: "; else its last luaulp.log() line after "NAME: "; else
-- "-"; N the bytes the application got, "N!" if they are not a prefix of
-- the input).  luaulp.CLOSE (the kernel's graceful refusal) is a token of
-- this harness: `luaulp run` has none.

local calls = 0

local logged
local CLOSE = setmetatable({}, { __tostring = function() return "CLOSE" end })

-- Compiled once (each call has a CPU budget and a wall-clock ceiling, and
-- compiling the script for every way would spend most of it); each way runs
-- the chunk with its own _ENV.  (On SRC's first line: line numbers stay.)
local chunk = assert(load("local _ENV = ...; " .. SRC, "=script", "t"))

local function fresh(sent)
	local env = setmetatable({}, { __index = _G })
	env.luaulp = {
		PASS = false, DROP = true, RESET = luaulp.RESET, CLOSE = CLOSE,
		send = function(s) sent[#sent + 1] = s; return #s end,
		log = function(s) logged = s end,
		time = luaulp.time, clock = luaulp.clock, socket = luaulp.socket,
	}
	chunk(env)
	return env
end

local function reason(sent)
	local all = table.concat(sent)
	return string.match(all, "Bad Request: ([^\n]*)\n$") or
		(logged and string.match(logged, "^[%w_]+: (.*)$")) or "-"
end

local function feed(input, pieces)
	local sent = {}
	logged = nil
	local env = fresh(sent)
	local out = {}
	for _, p in ipairs(pieces) do
		local v = env[ENTRY](p, #p, false)
		if v == nil or v == false then
			out[#out + 1] = p
		elseif type(v) == "string" then
			out[#out + 1] = v
		elseif v == luaulp.RESET or v == CLOSE then
			local got = table.concat(out)
			return string.format("%s %s, delivered %d%s", v == CLOSE and "close" or "reset",
				reason(sent), #got, got == string.sub(input, 1, #got) and "" or "!")
		end
	end
	return table.concat(out) == input and "pass" or "altered"
end

function harness(input)
	-- each way starts without the garbage of the last (library buffers,
	-- such as table.concat's, are allocated past the emergency collection)
	collectgarbage("collect")
	calls = calls + 1
	local k, pieces = calls, {}
	if k <= LEN then
		for i = 1, LEN, k do
			pieces[#pieces + 1] = string.sub(input, i, i + k - 1)
		end
		return string.format("chunk %d: %s\n", k, feed(input, pieces))
	end
	k = k - LEN
	pieces[1] = string.sub(input, 1, k)
	pieces[2] = string.sub(input, k + 1)
	return string.format("split %d: %s\n", k, feed(input, pieces))
end
