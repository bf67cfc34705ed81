-- SPDX-License-Identifier: GPL-2.0
--
-- http_guard.lua: an HTTP/1.x request-head validator in the kernel that
-- behaves like a proxy forwarding only complete, validated heads.
--
-- Policy: entry = "guard"; send_entry = "guard_send"; on_error = "reset".
--
-- Every request on the connection is followed: a head (any empty lines
-- before it, the request line, the fields, the empty line) is held back in
-- the kernel until it is complete and valid, then given to the server in
-- one piece; bodies pass as they arrive, framed by Content-Length or
-- chunked (chunk-size lines and trailers are held and checked the same
-- way).  Nothing of a refused head ever reaches the server, however TCP cut
-- the stream: every check runs on whole lines, limits on byte counts, so
-- the verdict does not depend on the split, and each byte is scanned once.
--
-- A refusal is "400 Bad Request" (the reason in its body) queued after
-- whatever the server already sent, then a graceful close (luaulp.CLOSE;
-- a kernel without it: a reset).
--
-- The send entry follows the server's responses (status, framing): after
-- a request carrying Upgrade (WebSocket, h2c) or a CONNECT, the guard holds
-- what the client sends next until the server has answered that request;
-- on "101 Switching Protocols" (or a 2xx to CONNECT) it steps aside for the
-- rest of the connection, on any other answer it goes on checking HTTP.
-- Without the send entry, bytes after an upgrade request are held until
-- max_head and then refused.
--
-- Refused (the reason goes into the 400's body and the kernel log):
--   * NUL or other controls in a line, a bare CR anywhere; line endings:
--     the request line's ending rules the message: after a CRLF request
--     line every line (fields, chunk sizes, trailers) must end in CRLF, a
--     bare LF is refused (the desync vector: a CRLF-strict front end would
--     see one field where the server sees two); after a bare-LF request line
--     (Test::Nginx, netcat, probes; nginx accepts them, a CRLF-strict front
--     end refuses them at the request line already) lines may end in LF or
--     CRLF, as nginx reads them; bare_lf = false refuses every bare LF
--   * obs-fold, a method that is not a token, a request-target with
--     spaces or controls, a form that does not fit the method, a version
--     other than HTTP/1.0 and HTTP/1.1 (HTTP/2's preface: see h2c)
--   * a field name that is not a token, whitespace before the colon
--   * a second Content-Length (even an identical one), a Content-Length
--     that is not 1*DIGIT, Transfer-Encoding with Content-Length or in
--     HTTP/1.0, codings that are not exactly "chunked" (see only_chunked)
--   * a second Host, a missing Host in HTTP/1.1, a Host that is no
--     host[:port]
--   * malformed chunked framing (size line, the line end after the data,
--     trailer fields), and every limit below

local config = {
	max_request_line = 8192,	-- bytes without the line end
	max_field_line = 8192,		-- bytes of one field line
	max_head = 32768,		-- a whole head with its line ends (also
					-- bounds what is held after an upgrade)
	max_fields = 100,		-- field lines per head (or trailer)
	max_empty_lines = 8,		-- empty lines before a request line
	max_chunk_line = 1024,		-- chunk-size line with extensions
	max_trailer = 8192,		-- bytes of a trailer section
	max_length_digits = 15,		-- significant digits of a length
	max_lines_per_read = 4000,	-- lines in one read: keeps a call inside
					-- the CPU budget (the one limit that
					-- depends on how much arrives at once)

	bare_lf = true,			-- heads whose lines all end in a bare LF
	allow_obs_text = true,		-- bytes 0x80-0xFF in field values
	allow_obs_text_target = true,	-- raw UTF-8 in the request-target
	reject_encoded_ctl = false,	-- refuse %0d %0a %00 in the target
	require_host = true,		-- HTTP/1.1 requests must carry Host
	only_chunked = true,		-- Transfer-Encoding exactly "chunked"
	methods = nil,			-- e.g. { GET = true, HEAD = true }; nil: any token
	upgrades = true,		-- follow Upgrade/CONNECT (needs guard_send)
	h2c = false,			-- true: a connection starting with HTTP/2's
					-- preface is passed unchecked
	proxy_protocol = false,		-- true: the connection starts with a PROXY
					-- protocol v1 or v2 header (required)
	max_proxy_v2 = 1024,		-- bytes of a v2 header's addresses and TLVs
	tls = true,			-- a connection starting with a TLS handshake
					-- record (byte 0x16) is passed unchecked

	reply = true,			-- answer 400 before closing
	reply_reason = true,		-- say why in the 400's body
	log = true,			-- luaulp.log() each refusal (rate-limited)
}

local find, sub, byte, lower, match =
	string.find, string.sub, string.byte, string.lower, string.match

local TCHAR = "[%w!#%$%%&'%*%+%-%.%^_`|~]"
local TOKEN = "^" .. TCHAR .. "+$"
local NAME_COLON = "^(" .. TCHAR .. "+):"
local NAME_SPACE = "^" .. TCHAR .. "+[ \t]"
local REQ_LINE = "^(" .. TCHAR .. "+) (.*)$"
local CTL = "[%z\1-\8\10-\31\127]"	-- HTAB allowed (OWS in values)
local CTL_HT = "[%z\1-\31\127]"
local HIGH = "[\128-\255]"
local SPECIAL = { ["content-length"] = 1, ["transfer-encoding"] = 2, host = 3,
		  upgrade = 4, connection = 5 }

-- Receive side.  One Lua state per socket: chunk-level locals are per
-- connection.  A "unit" is what is held until complete: a head, a
-- chunk-size line, the line end after chunk data, a trailer section.
local PROXY, HEAD, BODY, CSIZE, CDATA, CEND, TRAILER, WAIT, TUNNEL, DEAD =
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10
local mode = config.proxy_protocol and PROXY or HEAD
local ulines = {}		-- complete lines of the open unit
local part, part_n = {}, 0	-- bytes of the open line from earlier reads
local held, held_n = {}, 0	-- PROXY, WAIT: bytes held from earlier reads
local remaining = 0		-- BODY, CDATA: bytes still to pass
local used = 0			-- bytes of complete lines in this unit
local empties = 0		-- empty lines before this request line
local crlf = nil		-- this message's line end: "\r\n" or "\n"
local req = nil			-- the request being read
local first = true		-- no request line yet on this connection
local resume = false		-- WAIT ended without a switch: re-check held bytes

-- Send side: requests given to the server, responses seen.
local nreq, nresp = 0, 0
local kinds = {}		-- [request number] = "H" (HEAD), "C" (CONNECT), "U" (upgrade)
local waiting = nil		-- number of the request the guard waits on
local s_mode, s_left, s_buf = 0, 0, ""	-- 0 head, 1 body, 2 chunk line, 3 chunk data,
					-- 4 trailer, 5 not followed (read to EOF, lost)

-- Append S to rope R (pieces kept in decreasing size: each byte is copied
-- O(log n) times, as a binary counter).
local function push(r, s)
	local n = #r + 1
	r[n] = s
	while n > 1 and #r[n - 1] <= #r[n] do
		r[n - 1] = r[n - 1] .. r[n]
		r[n] = nil
		n = n - 1
	end
end

-- The bytes of rope R.  (Not table.concat: its buffer is allocated past
-- Lua's emergency collection, so a big one can fail while garbage waits.)
local function join(r)
	local s = r[1] or ""
	for i = 2, #r do
		s = s .. r[i]
	end
	return s
end

local function trim(v)
	local a = find(v, "[^ \t]")
	if not a then
		return ""
	end
	local b = #v
	while true do
		local c = byte(v, b)
		if c ~= 32 and c ~= 9 then
			break
		end
		b = b - 1
	end
	return sub(v, a, b)
end

local function check_target(method, target)
	if find(target, CTL_HT) then
		return "control character in request line"
	end
	if not config.allow_obs_text_target and find(target, HIGH) then
		return "non-ASCII request-target"
	end
	if config.reject_encoded_ctl and find(target, "%%0[0aAdD]") then
		return "encoded CR/LF/NUL in request-target"
	end
	if byte(target) == 47 then			-- "/": origin-form
		return nil
	elseif target == "*" then			-- asterisk-form
		if method ~= "OPTIONS" then
			return "asterisk-form request-target without OPTIONS"
		end
	elseif method == "CONNECT" then			-- authority-form
		if not match(target, "^[^/?#@]+:%d+$") then
			return "invalid CONNECT request-target"
		end
	elseif not match(target, "^%a[%w%+%-%.]*://[^/?#]") then	-- absolute-form
		return "invalid request-target"
	end
	return nil
end

-- Returns the reason to refuse, or nil; "h2c" for HTTP/2's preface.
local function request_line(body)
	if find(body, CTL_HT) then
		return "control character in request line"
	end
	local method, rest = match(body, REQ_LINE)
	if not method then
		return "invalid method or request line"
	end
	local sp = find(rest, " ", 1, true)
	if not sp then
		return "no HTTP version"			-- HTTP/0.9 is not served
	end
	local target, version = sub(rest, 1, sp - 1), sub(rest, sp + 1)
	if method == "PRI" and target == "*" and version == "HTTP/2.0" then
		return "h2c"
	end
	if config.methods and not config.methods[method] then
		return "method not allowed"
	end
	if target == "" then
		return "empty request-target"
	end
	local err = check_target(method, target)
	if err then
		return err
	end
	if version ~= "HTTP/1.1" and version ~= "HTTP/1.0" then
		return "invalid HTTP version"
	end
	req = { method = method, v10 = version == "HTTP/1.0", fields = 0, hosts = 0 }
	return nil
end

-- A field line without its line end (TRAILER: of a trailer section).
local function field(body, trailer)
	local name = match(body, NAME_COLON)
	if not name then
		local c = byte(body)
		if c == 32 or c == 9 then
			return "obs-fold (line folding)"
		end
		if match(body, NAME_SPACE) then
			return "whitespace between field name and colon"
		end
		return "invalid field name"
	end
	local vpos = #name + 2
	if find(body, CTL, vpos) then
		return "control character in field"
	end
	if not config.allow_obs_text and find(body, HIGH, vpos) then
		return "non-ASCII field value"
	end
	req.fields = req.fields + 1
	if req.fields > config.max_fields then
		return "too many fields"
	end
	local k = not trailer and SPECIAL[lower(name)]
	if not k then
		return nil
	end
	local value = trim(sub(body, vpos))
	if k == 1 then
		if req.cl then
			return "duplicate Content-Length"
		end
		if req.te then
			return "Transfer-Encoding with Content-Length"
		end
		-- (two linear matches: "^0*(%d*)$" backtracks over the zeros)
		if not find(value, "^%d+$") then
			return "invalid Content-Length"
		end
		local digits = match(value, "^0*(.*)$")
		if #digits > config.max_length_digits then
			return "Content-Length too large"
		end
		req.cl = tonumber(digits) or 0
	elseif k == 2 then
		if req.cl then
			return "Transfer-Encoding with Content-Length"
		end
		if req.v10 then
			return "Transfer-Encoding in HTTP/1.0"
		end
		req.te = req.te and (req.te .. "," .. value) or value
	elseif k == 3 then
		req.hosts = req.hosts + 1
		if req.hosts > 1 then
			return "duplicate Host"
		end
		-- reg-name, IP literals (IPvFuture too), ports: what nginx takes
		-- ("a:1:2" included); never userinfo, a path, a query, a fragment
		if find(value, "[^%w%-%._~!%$&'%(%)%*%+,;=:%[%]%%]") then
			return "invalid Host"
		end
	elseif k == 4 then
		req.upgrade = true
	elseif find(lower(value), "upgrade", 1, true) then
		req.conn_upgrade = true
	end
	return nil
end

-- nil if the transfer codings frame a chunked body, else the reason.
local function check_codings(te)
	local codings = {}
	for item in (lower(te) .. ","):gmatch("([^,]*),") do
		item = trim(item)
		if not match(item, TOKEN) then
			return "invalid Transfer-Encoding"
		end
		codings[#codings + 1] = item
	end
	if codings[#codings] ~= "chunked" then
		return "final transfer coding is not chunked"
	end
	if config.only_chunked and #codings ~= 1 then
		return "unsupported Transfer-Encoding"
	end
	for i = 1, #codings - 1 do
		if codings[i] == "chunked" then
			return "chunked applied twice"
		end
	end
	return nil
end

-- A whole message (head and body) has been given to the server.
local function message_done()
	nreq = nreq + 1
	local m = req.method
	local k = m == "HEAD" and "H" or (config.upgrades and s_mode ~= 5 and
		(m == "CONNECT" and "C" or req.upgrade and req.conn_upgrade and "U")) or nil
	if nreq - nresp > 100 then
		-- no send entry (or it lost track): stop following responses
		s_mode, kinds, k = 5, {}, nil
	end
	if k then
		kinds[nreq] = k
		if k ~= "H" then
			waiting, mode = nreq, WAIT
		end
	end
	req, crlf = nil, nil
end

local function end_of_head()
	if config.require_host and not req.v10 and req.hosts == 0 then
		return "missing Host"
	end
	if req.te then
		local err = check_codings(req.te)
		if err then
			return err
		end
		mode = CSIZE
	elseif req.cl and req.cl > 0 then
		mode, remaining = BODY, req.cl
	else
		mode = HEAD
		message_done()
	end
	return nil
end

local function chunk_size(body)
	if find(body, CTL) then
		return "control character in chunk size"
	end
	local hex, ext = match(body, "^(%x+)(.*)$")
	if not hex then
		return "invalid chunk size"
	end
	if ext ~= "" and not match(ext, "^[ \t]*;") then
		return "invalid chunk extension"
	end
	local digits = match(hex, "^0*(.*)$")
	if #digits > config.max_length_digits then
		return "chunk size too large"
	end
	if digits == "" then
		mode, req.fields = TRAILER, 0
	else
		mode, remaining = CDATA, tonumber(digits, 16)
	end
	return nil
end

-- The limits on a line of LEN bytes before its LF (the same check for a
-- line still open, so the reason never depends on where reads end).
local function line_limits(len)
	local max, what
	if mode == HEAD then
		max, what = req and config.max_field_line or config.max_request_line,
			req and "field line too long" or "request line too long"
	elseif mode == TRAILER then
		max, what = config.max_field_line, "trailer section too large"
	else
		max, what = config.max_chunk_line, "chunk size line too long"
	end
	local unit = mode == HEAD and config.max_head or
		mode == TRAILER and config.max_trailer or nil
	-- which limit the growing line crosses first
	local at_line = max + 2
	local at_unit = unit and unit - used or at_line + 1
	if len >= at_line and at_line <= at_unit then
		return what
	elseif len >= at_unit then
		return mode == HEAD and "request head too large" or "trailer section too large"
	end
	return nil
end

-- One whole line, LINE with its LF.  Returns the reason to refuse, or nil,
-- and whether the unit is complete.
local function on_line(line)
	local len = #line - 1
	local err = line_limits(len)
	if err then
		return err
	end
	local eol, body = "\n", nil
	if byte(line, len) == 13 then
		eol, body = "\r\n", sub(line, 1, len - 1)
	else
		body = sub(line, 1, len)
	end
	if find(body, "\r", 1, true) then
		return "bare CR"
	end
	if eol == "\n" and not config.bare_lf then
		return "bare LF line ending"
	end
	if crlf == "\r\n" and eol == "\n" then
		-- a bare LF where the request line ended in CRLF: a CRLF-strict
		-- front end and the server would split the fields differently
		return "bare LF line ending"
	end
	if mode == HEAD then
		used = used + len + 1
		if not req then
			if body == "" then
				empties = empties + 1
				if empties > config.max_empty_lines then
					return "empty lines before request line"
				end
				return nil
			end
			crlf = eol
			err = request_line(body)
			if err == "h2c" then
				if config.h2c and first then
					mode = TUNNEL
					return nil, true
				end
				return "HTTP/2 prior knowledge (h2c) not accepted"
			end
			first = false
			return err
		end
		if body == "" then
			used, empties = 0, 0
			return end_of_head(), true
		end
		return field(body, false)
	elseif mode == CSIZE then
		return chunk_size(body), true
	elseif mode == CEND then
		if body ~= "" then
			return "chunk data longer than its size"
		end
		mode = CSIZE
		return nil, true
	else -- TRAILER
		used = used + len + 1
		if body == "" then
			used, mode = 0, HEAD
			message_done()
			return nil, true
		end
		return field(body, true)
	end
end

-- A PROXY protocol header at the start of BUF: its length, 0 if more bytes
-- are needed, or nil and the reason.
-- (Compiled only when proxy_protocol is on: code costs memory per socket.)
local proxy_header = config.proxy_protocol and function(buf)
	local V2SIG = "\r\n\r\n\0\r\nQUIT\n"
	local n = #buf
	if byte(buf) == 13 then					-- v2
		if sub(buf, 1, 12) ~= sub(V2SIG, 1, n < 12 and n or 12) then
			return nil, "invalid PROXY protocol header"
		end
		if n < 16 then
			return 0
		end
		local vc, fam, hi, lo = byte(buf, 13, 16)
		local len = hi * 256 + lo
		if (vc ~= 0x20 and vc ~= 0x21) or not find("\0\17\18\33\34\49\50", string.char(fam), 1, true) or
		   len > config.max_proxy_v2 then
			return nil, "invalid PROXY protocol header"
		end
		return n >= 16 + len and 16 + len or 0
	end
	local e = find(buf, "\n", 1, true)
	if not e then
		if n > 107 or sub("PROXY ", 1, n) ~= sub(buf, 1, 6) then
			return nil, "invalid PROXY protocol header"
		end
		return 0
	end
	local l = sub(buf, 1, e)
	local ip4, ip6 = "%d+%.%d+%.%d+%.%d+", "[%x:%.]+"
	if e <= 107 and (match(l, "^PROXY TCP4 " .. ip4 .. " " .. ip4 .. " %d+ %d+\r\n$") or
			 match(l, "^PROXY TCP6 " .. ip6 .. " " .. ip6 .. " %d+ %d+\r\n$") or
			 match(l, "^PROXY UNKNOWN[^\r\n]*\r\n$")) then
		return e
	end
	return nil, "invalid PROXY protocol header"
end

-- Run DATA through the state machine.  Returns the verdict for DATA
-- (nil: unchanged; a string: what the server gets now; true: nothing), or
-- nil and the reason to refuse.
local function inspect(data)
	local n, pos, lines = #data, 1, 0
	-- an open unit from earlier reads: its lines, its open line, or (PROXY,
	-- WAIT) its raw bytes
	local carried = held_n > 0 or part_n > 0 or #ulines > 0
	local prefix = nil			-- its bytes once released
	local from = 1				-- DATA goes to the server from here
	local hs = nil				-- where the open unit started in DATA
	while pos <= n do
		local m = mode
		if m == BODY or m == CDATA then
			local take = n - pos + 1
			if take > remaining then
				take = remaining
			end
			remaining = remaining - take
			pos = pos + take
			if remaining == 0 then
				if m == BODY then
					mode = HEAD
					message_done()
				else
					mode = CEND
				end
			end
		elseif m == TUNNEL then
			pos = n + 1
		elseif m == WAIT then
			hs = hs or pos
			if held_n + n - hs + 1 > config.max_head then
				return nil, "too much data before the server answered the upgrade"
			end
			break
		elseif m == PROXY then
			local len, err = proxy_header(carried and join(held) .. data or data)
			if not len then
				return nil, err
			end
			if len == 0 then
				hs = hs or 1
				break
			end
			pos = len - held_n + 1
			if carried then
				prefix, carried, held, held_n = join(held), false, {}, 0
			end
			hs, mode = nil, HEAD
		else
			-- a line-based unit
			local fast = nil
			if m == CSIZE and not carried and not hs then
				-- a whole chunk (size line, data, line end) in DATA
				-- (linear: "%x+" backtracks one byte at a time; the zeros
				-- are stripped from the capture, never by the pattern)
				local hex, after = match(data, crlf == "\n" and "^(%x+)\n()" or "^(%x+)\r\n()", pos)
				hex = hex and match(hex, "^0*(.*)$")
				if hex and hex ~= "" and #hex <= config.max_length_digits and
				   after - pos <= config.max_chunk_line then
					local e = after + tonumber(hex, 16)
					if sub(data, e, e + #crlf - 1) == crlf then
						pos, fast = e + #crlf, true
					end
				end
			end
			if not fast then
				hs = hs or pos
				local nl = find(data, "\n", pos, true)
				if not nl then
					local err = line_limits(part_n + n - pos + 1)
					if err then
						return nil, err
					end
					push(part, sub(data, pos))
					part_n = part_n + n - pos + 1
					break
				end
				lines = lines + 1
				if lines > config.max_lines_per_read then
					return nil, "too many lines in one read"
				end
				local line = sub(data, pos, nl)
				if part_n > 0 then
					line = join(part) .. line
					part, part_n = {}, 0
				end
				local err, done = on_line(line)
				if err then
					return nil, err
				end
				pos = nl + 1
				if done then
					if carried then
						push(ulines, line)
						prefix, carried, from = join(ulines), false, pos
					end
					ulines, hs = {}, nil
				else
					push(ulines, line)
				end
			end
		end
	end
	if carried then					-- the unit is still open
		if mode == WAIT or mode == PROXY then
			push(held, data)
			held_n = held_n + n
		end
		return true
	end
	local stop = hs or n + 1
	if stop <= n and (mode == WAIT or mode == PROXY) then
		held, held_n = { sub(data, stop) }, n - stop + 1
	end
	if prefix then
		return prefix .. sub(data, from, stop - 1)
	end
	if stop > n then
		return nil
	end
	return stop > 1 and sub(data, 1, stop - 1) or true
end

local CLOSE = luaulp.CLOSE or luaulp.RESET

local function refuse(reason)
	mode = DEAD
	held, part, ulines = {}, {}, {}
	if config.log then
		luaulp.log("http_guard: " .. reason)
	end
	if config.reply then
		local text = config.reply_reason and ("Bad Request: " .. reason .. "\n") or "Bad Request\n"
		luaulp.send("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n" ..
			"Content-Length: " .. #text .. "\r\nConnection: close\r\n\r\n" .. text)
	end
	return CLOSE
end

-- The receive entry.  If a call dies half-way (CPU or memory limit), the
-- state is out of step with the stream: the next call refuses.  (The bytes
-- of the call that died follow on_error: use "reset".)
local busy = false

function guard(data)
	if mode == TUNNEL and held_n == 0 then
		return nil
	end
	if first and config.tls and mode == HEAD and byte(data) == 22 and
	   held_n + part_n == 0 and #ulines == 0 then
		-- TLS, not HTTP: nothing to check here (an HTTP server refuses
		-- such a first line itself)
		mode = TUNNEL
		return nil
	end
	if mode == DEAD then
		return CLOSE
	end
	if busy then
		return refuse("guard lost track of the stream (limit hit)")
	end
	busy = true
	if held_n > 0 and (mode == TUNNEL or resume) then
		-- the server answered the upgrade: pass, or check what was held
		data = join(held) .. data
		held, held_n, resume = {}, 0, false
		if mode == TUNNEL then
			busy = false
			return data
		end
		local v, reason = inspect(data)
		busy = false
		if reason then
			return refuse(reason)
		end
		return v or data
	end
	resume = false
	local v, reason = inspect(data)
	busy = false
	if reason then
		return refuse(reason)
	end
	return v
end

-- A complete response head: follow its framing.
local function response(head)
	local status = tonumber(match(head, "^HTTP/%d%.%d (%d%d%d)"))
	if not status then
		s_mode = 5
		return
	end
	local k = kinds[nresp + 1]
	if status < 200 then
		if status == 101 then
			if k == "U" and waiting == nresp + 1 and mode == WAIT then
				mode, s_mode = TUNNEL, 5
			else
				s_mode = 5
			end
		end
		return					-- interim: the final one follows
	end
	nresp = nresp + 1
	kinds[nresp] = nil
	if waiting == nresp and mode == WAIT then
		waiting = nil
		if k == "C" and status < 300 then
			mode, s_mode = TUNNEL, 5
			return
		end
		mode, resume = HEAD, true
	end
	local lh = lower(head)
	if k == "H" or status == 204 or status == 304 then
		return
	end
	if find(lh, "\ntransfer%-encoding:[^\n]*chunked") then
		s_mode = 2
		return
	end
	local cl = match(lh, "\ncontent%-length:[ \t]*(%d+)")
	if cl then
		s_left = tonumber(cl)
		s_mode = s_left > 0 and 1 or 0
		return
	end
	s_mode = 5					-- body until close
end

-- For a script the guard runs in front of (http_cache.lua): the last
-- request the guard released was answered from the kernel, not the server.
function guard_answered()
	nresp = nresp + 1
	kinds[nresp] = nil
end

-- The send entry: what the server writes, to see the answer to an upgrade.
function guard_send(data)
	if s_mode == 5 then
		return nil
	end
	local pos, n = 1, #data
	while pos <= n and s_mode ~= 5 do
		if s_mode == 1 or s_mode == 3 then
			local take = n - pos + 1
			if take > s_left then
				take = s_left
			end
			s_left, pos = s_left - take, pos + take
			if s_left == 0 then
				s_mode = s_mode == 1 and 0 or 2
			end
		else
			-- a head, a chunk-size line or a trailer section
			local pat = s_mode == 2 and "\n" or "\r\n\r\n"
			local buf = s_buf == "" and data or s_buf .. sub(data, pos)
			local from = s_buf == "" and pos or 1
			local e = find(buf, pat, from, true)
			if s_mode == 4 and byte(buf, from) == 13 then
				e = from				-- no trailer fields
				pat = "\r\n"
			end
			if not e then
				s_buf = sub(buf, from)
				if #s_buf > 16384 then
					s_mode = 5
				end
				break
			end
			local stop = e + #pat - 1
			pos = pos + stop - from + 1 - #s_buf
			local text = sub(buf, from, stop)
			s_buf = ""
			if s_mode == 0 then
				response(text)
			elseif s_mode == 2 then
				local hex = match(text, "^%x+")
				local size = hex and #hex <= 15 and tonumber(hex, 16)
				if not size then
					s_mode = 5
				elseif size == 0 then
					s_mode = 4
				else
					s_mode, s_left = 3, size + 2
				end
			else
				s_mode = 0
			end
		end
	end
	return nil
end

-- Start with no garbage: what the top level left (and, loaded from source,
-- the parser's) would otherwise set the collector's first threshold high.
collectgarbage("collect")
