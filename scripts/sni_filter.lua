-- SPDX-License-Identifier: GPL-2.0
--
-- sni_filter.lua: allow or refuse TLS connections by the server name the
-- client asks for, before the TLS server sees the handshake.
--
-- Attach it (entry "filter") to the accepted sockets of a TLS server.  It
-- reads the first handshake message, the ClientHello, however it is split
-- across reads and TLS records, takes the server_name extension (RFC 6066)
-- and decides:
--   * a name matching the deny list is refused;
--   * if the allow list is not empty, a name must match it;
--   * a ClientHello without a server name follows no_sni;
--   * anything that is not a well-formed ClientHello is refused.
-- A refusal sends a fatal TLS alert (unrecognized_name, or decode_error for
-- malformed input) from the kernel, then closes the connection (luaulp.CLOSE;
-- a kernel without it: a reset).  Bytes are delivered as they arrive.
--
-- Every ClientHello is checked: after the first one is allowed the filter
-- follows the client's plaintext records, so a second ClientHello (TLS 1.3,
-- after the server's HelloRetryRequest, usually behind a dummy
-- change_cipher_spec record) is checked the same way.  It steps aside for
-- good at the first encrypted record: application_data (TLS 1.3, early data
-- included), or a handshake record after change_cipher_spec that does not
-- start like a ClientHello (TLS 1.2's encrypted Finished; an encrypted
-- record that happens to start with the 3 bytes of one, a 1 in 2^24 chance,
-- is checked as one).  A TLS 1.2 renegotiation's ClientHello is encrypted:
-- not seen.  Once aside, a call costs one test that returns at once.
--
-- Encrypted Client Hello (ECH): the filter sees the outer ClientHello only,
-- whose server_name is the client-facing server's public name (the
-- ECHConfig's public_name), never the name the client really wants, which
-- is encrypted in the encrypted_client_hello extension.  With ECH, allow
-- and deny lists judge public names: deny one and every ECH connection
-- through that provider is refused; allow lists must list it.  Filtering by
-- the inner name needs the ECH keys, i.e. the TLS server itself.
--
-- Patterns: "example.com" matches that name only; "*.example.com" matches
-- any name below it (a.example.com, a.b.example.com), not example.com.
-- Matching ignores case.  Names must be DNS host names (letters, digits,
-- "-", "_", dots, no trailing dot).

local config = {
	allow = {},			-- e.g. { "example.com", "*.example.com" }; empty: any
	deny = { "*.evil.test" },
	no_sni = "allow",		-- "allow" or "deny" a ClientHello without a name
	max_hello = 16384,		-- bytes of the ClientHello message
	alert = true,			-- send a TLS alert before the reset
	log = true,			-- luaulp.log() each refusal
}

local byte, sub, lower, find, match = string.byte, string.sub, string.lower,
	string.find, string.match

local buf = ""		-- bytes of the records read so far
local decided = false	-- stepped aside: pass everything from now on
local dead = false
local following = false	-- the first ClientHello was allowed: follow records
local ccs = false	-- the client sent change_cipher_spec
local hs = ""		-- handshake bytes being reassembled (following)
local name_seen = nil	-- the server name of the ClientHello (for tests)

local function u16(s, i)
	local a, b = byte(s, i, i + 1)
	return a * 256 + b
end

local function u24(s, i)
	local a, b, c = byte(s, i, i + 2)
	return (a * 256 + b) * 256 + c
end

local function matches(name, pattern)
	pattern = lower(pattern)
	if sub(pattern, 1, 2) == "*." then
		local base = sub(pattern, 2)		-- ".example.com"
		return #name > #base and sub(name, -#base) == base
	end
	return name == pattern
end

local function listed(name, list)
	for i = 1, #list do
		if matches(name, list[i]) then
			return true
		end
	end
	return false
end

-- The server name of a complete ClientHello body H (after the 4-byte
-- handshake header): the name (lower case), false if none, or nil and the
-- reason it is malformed.
local function server_name(h)
	local n = #h
	local p = 35				-- after version (2) and random (32)
	if n < p then
		return nil, "short ClientHello"
	end
	local sid = byte(h, p)
	if sid > 32 then
		return nil, "bad session id"
	end
	p = p + 1 + sid
	if p + 1 > n then
		return nil, "short ClientHello"
	end
	local cs = u16(h, p)
	if cs < 2 or cs % 2 ~= 0 then
		return nil, "bad cipher suites"
	end
	p = p + 2 + cs
	if p > n then
		return nil, "short ClientHello"
	end
	local comp = byte(h, p)
	if comp < 1 then
		return nil, "bad compression methods"
	end
	p = p + 1 + comp
	if p - 1 == n then
		return false				-- no extensions at all
	end
	if p + 1 > n or p + 1 + u16(h, p) ~= n then
		return nil, "bad extensions length"
	end
	p = p + 2
	local seen, name = {}, false
	while p <= n do
		if p + 3 > n then
			return nil, "short extension"
		end
		local t, len = u16(h, p), u16(h, p + 2)
		p = p + 4
		if p + len - 1 > n then
			return nil, "short extension"
		end
		if seen[t] then
			return nil, "duplicate extension"
		end
		seen[t] = true
		if t == 0 and len > 0 then		-- server_name
			local e = sub(h, p, p + len - 1)
			if len < 2 or u16(e, 1) ~= len - 2 then
				return nil, "bad server_name list"
			end
			local q = 3
			while q <= len do
				if q + 2 > len then
					return nil, "bad server_name entry"
				end
				local nt, nl = byte(e, q), u16(e, q + 1)
				if q + 2 + nl > len or nl == 0 then
					return nil, "bad server_name entry"
				end
				if nt == 0 then
					if name then
						return nil, "two host names"
					end
					name = sub(e, q + 3, q + 2 + nl)
				end
				q = q + 3 + nl
			end
			if name then
				if #name > 253 or not match(name, "^[%w_%-]+[%w_%-%.]*$") or
				   find(name, "..", 1, true) or sub(name, -1) == "." then
					return nil, "invalid host name"
				end
				name = lower(name)
			end
		end
		p = p + len
	end
	return name
end

local CLOSE = luaulp.CLOSE or luaulp.RESET

local function refuse(reason, alert)
	dead = true
	if config.log then
		luaulp.log("sni_filter: " .. reason)
	end
	if config.alert then
		-- a fatal alert record: type 21, version 3.3, length 2, level 2
		luaulp.send("\21\3\3\0\2\2" .. string.char(alert))
	end
	return CLOSE
end

-- Is the complete ClientHello message M (with its 4-byte header) allowed?
-- true, or false, reason, alert.
local function judge(m)
	local name, why = server_name(sub(m, 5))
	if name == nil then
		return false, "malformed ClientHello: " .. why, 50
	end
	name_seen = name or ""
	if not name then
		if config.no_sni == "allow" then
			return true
		end
		return false, "no server name", 112
	end
	if listed(name, config.deny) then
		return false, "server name denied: " .. name, 112
	end
	if #config.allow > 0 and not listed(name, config.allow) then
		return false, "server name not allowed: " .. name, 112
	end
	return true
end

-- Decide once the whole ClientHello is in buf: true (allow), nil (need more
-- bytes), or false, reason, alert (refuse).
local function decide()
	local hs, p, n = {}, 1, #buf
	local have = 0
	local total = nil
	while p + 4 <= n do
		local ct, major, minor = byte(buf, p, p + 2)
		local len = u16(buf, p + 3)
		if ct ~= 22 then
			return false, "not a TLS handshake record", 50
		end
		if major ~= 3 or minor > 4 or len == 0 or len > 16384 then
			return false, "bad TLS record header", 50
		end
		if p + 4 + len > n then
			break				-- the record is not complete yet
		end
		hs[#hs + 1] = sub(buf, p + 5, p + 4 + len)
		have = have + len
		p = p + 5 + len
		if not total and have >= 4 then
			local h = table.concat(hs)
			if byte(h, 1) ~= 1 then
				return false, "not a ClientHello", 50
			end
			total = 4 + u24(h, 2)
			if total - 4 > config.max_hello then
				return false, "ClientHello too large", 50
			end
		end
		if total and have >= total then
			break
		end
	end
	if not total or have < total then
		-- Refuse at once what cannot become a ClientHello.
		if p <= n and byte(buf, p) ~= 22 then
			return false, "not a TLS handshake record", 50
		end
		if n > config.max_hello + 1024 then
			return false, "ClientHello too large", 50
		end
		return nil
	end
	local ok, why, alert = judge(sub(table.concat(hs), 1, total))
	return ok, why, alert, p
end

-- Following the client's records after the first ClientHello, with buf
-- holding what is not parsed yet: nil (need more), "aside", or false,
-- reason, alert.
local function follow()
	while #buf >= 5 do
		local ct, len = byte(buf, 1), u16(buf, 4)
		if ct == 22 and ccs and hs == "" and #buf >= 11 and
		   not (byte(buf, 6) == 1 and byte(buf, 10) == 3 and byte(buf, 11) == 3) then
			return "aside"			-- encrypted (TLS 1.2 Finished)
		end
		if ct ~= 20 and ct ~= 21 and ct ~= 22 then
			return "aside"			-- application_data: encrypted
		end
		if len > 16384 + 2048 then
			return false, "bad TLS record header", 50
		end
		if ct == 22 and ccs and hs == "" and #buf < 11 then
			return nil
		end
		if #buf < 5 + len then
			return nil
		end
		if ct == 20 then
			ccs = true
		elseif ct == 22 then
			hs = hs .. sub(buf, 6, 5 + len)
			while #hs >= 4 do
				local total = 4 + u24(hs, 2)
				if total - 4 > config.max_hello then
					return false, "ClientHello too large", 50
				end
				if #hs < total then
					break
				end
				if byte(hs, 1) == 1 then
					local ok, why, alert = judge(sub(hs, 1, total))
					if not ok then
						return false, why, alert
					end
					return "aside"		-- no third ClientHello
				end
				hs = sub(hs, total + 1)
			end
		end
		buf = sub(buf, 6 + len)
	end
	return nil
end

-- The receive entry: filter(data, size, nonblock).
function filter(data)
	if decided then
		return nil
	end
	if dead then
		return luaulp.RESET
	end
	buf = buf .. data
	if following then
		local ok, reason, alert = follow()
		if ok == "aside" then
			decided, buf, hs = true, "", ""
		elseif ok == false then
			return refuse(reason, alert)
		elseif #buf + #hs > 65536 then
			decided, buf, hs = true, "", ""	-- a long plaintext flight
		end
		return nil
	end
	local ok, reason, alert, used = decide()
	if ok == nil then
		return nil
	end
	if not ok then
		buf = ""
		return refuse(reason, alert)
	end
	following, buf = true, sub(buf, used)
	return filter("")
end
