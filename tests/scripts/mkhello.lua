-- SPDX-License-Identifier: GPL-2.0
-- Test helper: craft a TLS ClientHello.  Input: "NAME [RECORDS]" (NAME "-":
-- no server_name extension); output: the ClientHello, its handshake message
-- cut into RECORDS records (default 1).
--   luaulp run tests/scripts/mkhello.lua --entry hello <<<"www.example.com 2"

local function u16(n) return string.char(n // 256, n % 256) end
local function u24(n) return string.char(n // 65536, n // 256 % 256, n % 256) end

function hello(input)
	local name, records = string.match(input, "^(%S+)%s*(%d*)")
	records = tonumber(records) or 1
	local ext = ""
	if name ~= "-" then
		local entry = "\0" .. u16(#name) .. name
		local list = u16(#entry) .. entry
		ext = ext .. u16(0) .. u16(#list) .. list
	end
	ext = ext .. u16(10) .. u16(4) .. u16(2) .. u16(29)		-- supported_groups
	ext = ext .. u16(43) .. u16(3) .. "\2\3\4"			-- supported_versions
	local body = "\3\3" .. string.rep("R", 32) .. "\32" .. string.rep("S", 32) ..
		u16(4) .. "\19\1\19\2" .. "\1\0" .. u16(#ext) .. ext
	local msg = "\1" .. u24(#body) .. body
	local out, per, i = {}, (#msg + records - 1) // records, 1
	while i <= #msg do
		local frag = string.sub(msg, i, i + per - 1)
		out[#out + 1] = "\22\3\1" .. u16(#frag) .. frag
		i = i + per
	end
	return table.concat(out)
end
