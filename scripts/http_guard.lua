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
--
-- Memory: every socket holds its own copy of this code and its state (the
-- goal is 32 KiB per connection, scripts/README.md), so the settings are
-- plain locals (a table would keep its keys in every socket), the
-- per-request state too, and the work is in few functions.

-- Settings (scripts/README.md says what each one trades).
local max_request_line = 8192		-- bytes without the line end
local max_field_line = 8192		-- bytes of one field line
local max_head = 32768			-- a whole head with its line ends (also
					-- bounds what is held after an upgrade)
local max_fields = 100			-- field lines per head (or trailer)
local max_empty_lines = 8		-- empty lines before a request line
local max_chunk_line = 1024		-- chunk-size line with extensions
local max_trailer = 8192		-- bytes of a trailer section
local max_length_digits = 15		-- significant digits of a length
local max_lines_per_read = 4000		-- lines in one read: keeps a call inside
					-- the CPU budget (the one limit that
					-- depends on how much arrives at once)
local bare_lf = true			-- heads whose lines all end in a bare LF
local allow_obs_text = true		-- bytes 0x80-0xFF in field values
local allow_obs_text_target = true	-- raw UTF-8 in the request-target
local reject_encoded_ctl = false	-- refuse %0d %0a %00 in the target
local require_host = true		-- HTTP/1.1 requests must carry Host
local only_chunked = true		-- Transfer-Encoding exactly "chunked"
local methods = nil			-- e.g. { GET = true, HEAD = true }; nil: any token
local upgrades = true			-- follow Upgrade/CONNECT (needs guard_send)
local h2c = false			-- true: a connection starting with HTTP/2's
					-- preface is passed unchecked
local proxy_protocol = false		-- true: the connection starts with a PROXY
					-- protocol v1 or v2 header (required)
local max_proxy_v2 = 1024		-- bytes of a v2 header's addresses and TLVs
local tls = true			-- a connection starting with a TLS handshake
					-- record (byte 0x16) is passed unchecked
local reply = true			-- answer 400 before closing
local reply_reason = true		-- say why in the 400's body
local log = true			-- luaulp.log() each refusal (rate-limited)

-- Why a request is refused (the 400's body and the log line say it),
-- referred to by line number: one string, not 47 (each string would cost
-- every socket its header and a slot of its string table).  Each use reads
-- "reason = N -- TEXT" (tests/scripts/http_guard.host.bats checks them).
local REASONS = [[
invalid PROXY protocol header
guard lost track of the stream (limit hit)
too much data before the server answered the upgrade
too many lines in one read
chunk size line too long
field line too long
request line too long
trailer section too large
request head too large
bare CR
bare LF line ending
control character in chunk size
invalid chunk size
invalid chunk extension
chunk size too large
chunk data longer than its size
empty lines before request line
control character in request line
invalid method or request line
no HTTP version
HTTP/2 prior knowledge (h2c) not accepted
method not allowed
empty request-target
non-ASCII request-target
encoded CR/LF/NUL in request-target
asterisk-form request-target without OPTIONS
invalid CONNECT request-target
invalid request-target
invalid HTTP version
missing Host
invalid Transfer-Encoding
final transfer coding is not chunked
unsupported Transfer-Encoding
chunked applied twice
obs-fold (line folding)
whitespace between field name and colon
invalid field name
control character in field
non-ASCII field value
too many fields
duplicate Content-Length
Transfer-Encoding with Content-Length
invalid Content-Length
Content-Length too large
Transfer-Encoding in HTTP/1.0
duplicate Host
invalid Host
]]

-- Patterns: tokens (methods, field names, codings) are 1*tchar,
-- [%w!#%$%%&'%*%+%-%.%^_`|~]; controls are [%z\1-\8\10-\31\127] in field
-- values (HTAB is OWS there), [%z\1-\31\127] elsewhere; obs-text and raw
-- UTF-8 are [\128-\255].  Strings are scanned with their methods
-- (s:find(...)): a library function in a local would be an upvalue of every
-- function using it, in every socket.

-- Receive side.  One Lua state per socket: chunk-level locals are per
-- connection.  A "unit" is what is held until complete: a head, a
-- chunk-size line, the line end after chunk data, a trailer section.
-- The mode: "proxy" (the PROXY header first), "head", "body" (by
-- Content-Length), "csize", "cdata", "cend" (chunked), "trailer", "wait"
-- (for the answer to an upgrade), "tunnel" (aside), "dead" (refused).
local mode = proxy_protocol and "proxy" or "head"
local ulines = {}		-- complete lines of the open unit
local part, part_n = {}, 0	-- bytes of the open line from earlier reads
local held, held_n = {}, 0	-- proxy, wait: bytes held from earlier reads
local remaining = 0		-- body, cdata: bytes still to pass
local used = 0			-- bytes of complete lines in this unit
local empties = 0		-- empty lines before this request line
local crlf = nil		-- this message's line end: "\r\n" or "\n"
local first = true		-- no request line yet on this connection
local resume = false		-- "wait" ended without a switch: re-check held bytes
local busy = false		-- a call is (or died) half-way: see guard()

-- The request being read (inreq: its request line was seen).
local inreq, method, v10, nfields, hosts, clen, te, upgrade, conn_upgrade

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

-- A PROXY protocol header at the start of BUF: its length, 0 if more bytes
-- are needed, or nil and the reason.
-- (A closure only when proxy_protocol is on: otherwise its code is
-- garbage after the top level, not kept in every socket.)
local proxy_header = proxy_protocol and function(buf)
	local V2SIG = "\r\n\r\n\0\r\nQUIT\n"
	local n = #buf
	if buf:byte() == 13 then					-- v2
		if buf:sub(1, 12) ~= V2SIG:sub(1, n < 12 and n or 12) then
			return nil, 1	-- invalid PROXY protocol header
		end
		if n < 16 then
			return 0
		end
		local vc, fam, hi, lo = buf:byte(13, 16)
		local len = hi * 256 + lo
		if (vc ~= 0x20 and vc ~= 0x21) or not ("\0\17\18\33\34\49\50"):find(string.char(fam), 1, true) or
		   len > max_proxy_v2 then
			return nil, 1	-- invalid PROXY protocol header
		end
		return n >= 16 + len and 16 + len or 0
	end
	local e = buf:find("\n", 1, true)
	if not e then
		if n > 107 or ("PROXY "):sub(1, n) ~= buf:sub(1, 6) then
			return nil, 1	-- invalid PROXY protocol header
		end
		return 0
	end
	local l = buf:sub(1, e)
	local ip4, ip6 = "%d+%.%d+%.%d+%.%d+", "[%x:%.]+"
	if e <= 107 and (l:match("^PROXY TCP4 " .. ip4 .. " " .. ip4 .. " %d+ %d+\r\n$") or
			 l:match("^PROXY TCP6 " .. ip6 .. " " .. ip6 .. " %d+ %d+\r\n$") or
			 l:match("^PROXY UNKNOWN[^\r\n]*\r\n$")) then
		return e
	end
	return nil, 1	-- invalid PROXY protocol header
end


local CLOSE = luaulp.CLOSE or luaulp.RESET

-- The receive entry: DATA through the state machine.  The verdict: nil
-- (unchanged), a string (what the server gets now), true (nothing yet), or
-- the refusal.  If a call dies half-way (CPU or memory limit), the state is
-- out of step with the stream: the next call refuses.  (The bytes of the
-- call that died follow on_error: use "reset".)
function guard(data)
	if mode == "tunnel" and held_n == 0 then
		return nil
	end
	if first and tls and mode == "head" and data:byte() == 22 and
	   held_n + part_n == 0 and #ulines == 0 then
		-- TLS, not HTTP: nothing to check here (an HTTP server refuses
		-- such a first line itself)
		mode = "tunnel"
		return nil
	end
	if mode == "dead" then
		return CLOSE
	end
	local reason = 2	-- guard lost track of the stream (limit hit)
	if busy then
		goto refuse
	end
	busy = true
	do
		local whole = false		-- DATA is what was held, then DATA
		if held_n > 0 and (mode == "tunnel" or resume) then
			-- the server answered the upgrade: pass, or check what was held
			data, whole = join(held) .. data, true
			held, held_n = {}, 0
		end
		resume = false
		if mode == "tunnel" then
			busy = false
			return data
		end

		local n, pos, lines, finished = #data, 1, 0, false
		-- an open unit from earlier reads: its lines, its open line, or (proxy,
		-- wait) its raw bytes
		local carried = held_n > 0 or part_n > 0 or #ulines > 0
		local prefix = nil			-- its bytes once released
		local from = 1				-- DATA goes to the server from here
		local hs = nil				-- where the open unit started in DATA
		while pos <= n do
			local m = mode
			if m == "body" or m == "cdata" then
				local take = n - pos + 1
				if take > remaining then
					take = remaining
				end
				remaining = remaining - take
				pos = pos + take
				if remaining == 0 then
					if m == "body" then
						mode, finished = "head", true
					else
						mode = "cend"
					end
				end
			elseif m == "tunnel" then
				pos = n + 1
			elseif m == "wait" then
				hs = hs or pos
				if held_n + n - hs + 1 > max_head then
					reason = 3	-- too much data before the server answered the upgrade
					goto refuse
				end
				break
			elseif m == "proxy" then
				local len
				len, reason = proxy_header(carried and join(held) .. data or data)
				if not len then
					goto refuse
				end
				if len == 0 then
					hs = hs or 1
					break
				end
				pos = len - held_n + 1
				if carried then
					prefix, carried, held, held_n = join(held), false, {}, 0
				end
				hs, mode = nil, "head"
			else
				-- a line-based unit
				local fast = nil
				if m == "csize" and not carried and not hs then
					-- a whole chunk (size line, data, line end) in DATA
					-- (linear: "%x+" backtracks one byte at a time; the zeros
					-- are stripped from the capture, never by the pattern)
					local hex, after = data:match(crlf == "\n" and "^(%x+)\n()" or "^(%x+)\r\n()", pos)
					hex = hex and hex:match("^0*(.*)$")
					if hex and hex ~= "" and #hex <= max_length_digits and
					   after - pos <= max_chunk_line then
						local e = after + tonumber(hex, 16)
						if data:sub(e, e + #crlf - 1) == crlf then
							pos, fast = e + #crlf, true
						end
					end
				end
				if not fast then
					hs = hs or pos
					local nl = data:find("\n", pos, true)
					if nl then
						lines = lines + 1
						if lines > max_lines_per_read then
							reason = 4	-- too many lines in one read
							goto refuse
						end
					end
					-- The limits on the line's bytes before its LF (so far,
					-- if it is still open: the same check whole or not, so
					-- the reason never depends on where reads end).
					local len = part_n + (nl or n + 1) - pos
					local max, unit = max_chunk_line, nil
					reason = 5	-- chunk size line too long
					if mode == "head" then
						max, unit = inreq and max_field_line or max_request_line, max_head
						reason = inreq and 6 or 7	-- field line too long; request line too long
					elseif mode == "trailer" then
						max, unit, reason = max_field_line, max_trailer, 8	-- trailer section too large
					end
					-- which limit the growing line crosses first
					max = max + 2
					unit = unit and unit - used or max + 1
					if len >= max and max <= unit then
						goto refuse
					elseif len >= unit then
						reason = mode == "head" and 9 or 8	-- request head too large; trailer section too large
						goto refuse
					end
					if not nl then
						push(part, data:sub(pos))
						part_n = len
						break
					end
					-- the line with its LF, as a string of its own only if it
					-- came in pieces (fewer strings: less garbage per request)
					local line = nil
					if part_n > 0 then
						line = join(part) .. data:sub(pos, nl)
						part, part_n = {}, 0
					end
					local done = false
					do
						-- the line: refuse, or is the unit complete?
						local eol, cut = "\n", len
						if len > 0 and (line or data):byte(line and len or nl - 1) == 13 then
							eol, cut = "\r\n", len - 1
						end
						local body = line and line:sub(1, cut) or data:sub(pos, pos + cut - 1)
						if body:find("\r", 1, true) then
							reason = 10	-- bare CR
							goto refuse
						end
						-- a bare LF where the request line ended in CRLF: a CRLF-strict front
						-- end and the server would split the fields differently
						if eol == "\n" and (not bare_lf or crlf == "\r\n") then
							reason = 11	-- bare LF line ending
							goto refuse
						end
						if mode == "csize" then
							if body:find("[%z\1-\8\10-\31\127]") then
								reason = 12	-- control character in chunk size
								goto refuse
							end
							local hex, ext = body:match("^(%x+)(.*)$")
							if not hex then
								reason = 13	-- invalid chunk size
								goto refuse
							end
							if ext ~= "" and not ext:find("^[ \t]*;") then
								reason = 14	-- invalid chunk extension
								goto refuse
							end
							hex = hex:match("^0*(.*)$")
							if #hex > max_length_digits then
								reason = 15	-- chunk size too large
								goto refuse
							end
							if hex == "" then
								mode, nfields = "trailer", 0
							else
								mode, remaining = "cdata", tonumber(hex, 16)
							end
							done = true
							goto checked
						elseif mode == "cend" then
							if body ~= "" then
								reason = 16	-- chunk data longer than its size
								goto refuse
							end
							mode = "csize"
							done = true
							goto checked
						end
						-- "head" or "trailer"
						used = used + len + 1
						if not inreq and mode == "head" then
							-- the request line, or an empty line before it
							if body == "" then
								empties = empties + 1
								if empties > max_empty_lines then
									reason = 17	-- empty lines before request line
									goto refuse
								end
								goto checked
							end
							crlf = eol
							if body:find("[%z\1-\31\127]") then
								reason = 18	-- control character in request line
								goto refuse
							end
							local m, rest = body:match("^([%w!#%$%%&'%*%+%-%.%^_`|~]+) (.*)$")
							if not m then
								reason = 19	-- invalid method or request line
								goto refuse
							end
							local sp = rest:find(" ", 1, true)
							if not sp then
								reason = 20	-- no HTTP version (HTTP/0.9 is not served)
								goto refuse
							end
							local target, version = rest:sub(1, sp - 1), rest:sub(sp + 1)
							if m == "PRI" and target == "*" and version == "HTTP/2.0" then
								if h2c and first then
									mode = "tunnel"
									done = true
									goto checked
								end
								reason = 21	-- HTTP/2 prior knowledge (h2c) not accepted
								goto refuse
							end
							first = false
							if methods and not methods[m] then
								reason = 22	-- method not allowed
								goto refuse
							end
							if target == "" then
								reason = 23	-- empty request-target
								goto refuse
							end
							if not allow_obs_text_target and target:find("[\128-\255]") then
								reason = 24	-- non-ASCII request-target
								goto refuse
							end
							if reject_encoded_ctl and target:find("%%0[0aAdD]") then
								reason = 25	-- encoded CR/LF/NUL in request-target
								goto refuse
							end
							if target:byte() == 47 then			-- "/": origin-form
							elseif target == "*" then			-- asterisk-form
								if m ~= "OPTIONS" then
									reason = 26	-- asterisk-form request-target without OPTIONS
									goto refuse
								end
							elseif m == "CONNECT" then			-- authority-form
								if not target:find("^[^/?#@]+:%d+$") then
									reason = 27	-- invalid CONNECT request-target
									goto refuse
								end
							elseif not target:find("^%a[%w%+%-%.]*://[^/?#]") then	-- absolute-form
								reason = 28	-- invalid request-target
								goto refuse
							end
							if version ~= "HTTP/1.1" and version ~= "HTTP/1.0" then
								reason = 29	-- invalid HTTP version
								goto refuse
							end
							inreq, method, v10, nfields, hosts = true, m, version == "HTTP/1.0", 0, 0
							clen, te, upgrade, conn_upgrade = nil, nil, false, false
							goto checked
						end
						if body == "" then
							-- the end of the head or of the trailer section
							used, empties = 0, 0
							if mode == "trailer" then
								mode, finished = "head", true
							elseif require_host and not v10 and hosts == 0 then
								reason = 30	-- missing Host
								goto refuse
							elseif te then
								local count, last, twice = 0, nil, false
								for item in (te:lower() .. ","):gmatch("([^,]*),") do
									-- a token with OWS around it (linear patterns)
									if not item:find("^[ \t]*[%w!#%$%%&'%*%+%-%.%^_`|~]+[ \t]*$") then
										reason = 31	-- invalid Transfer-Encoding
										goto refuse
									end
									item = item:match("[^ \t]+")
									count, last, twice = count + 1, item, twice or last == "chunked"
								end
								if last ~= "chunked" then
									reason = 32	-- final transfer coding is not chunked
									goto refuse
								end
								if only_chunked and count ~= 1 then
									reason = 33	-- unsupported Transfer-Encoding
									goto refuse
								end
								if twice then
									reason = 34	-- chunked applied twice
									goto refuse
								end
								mode = "csize"
							elseif clen and clen > 0 then
								mode, remaining = "body", clen
							else
								finished = true
							end
							done = true
							goto checked
						end
						-- a field line (of the head, or of the trailer section)
						local name = body:match("^([%w!#%$%%&'%*%+%-%.%^_`|~]+):")
						if not name then
							local c = body:byte()
							if c == 32 or c == 9 then
								reason = 35	-- obs-fold (line folding)
								goto refuse
							end
							if body:find("^[%w!#%$%%&'%*%+%-%.%^_`|~]+[ \t]") then
								reason = 36	-- whitespace between field name and colon
								goto refuse
							end
							reason = 37	-- invalid field name
							goto refuse
						end
						local vpos = #name + 2
						if body:find("[%z\1-\8\10-\31\127]", vpos) then
							reason = 38	-- control character in field
							goto refuse
						end
						if not allow_obs_text and body:find("[\128-\255]", vpos) then
							reason = 39	-- non-ASCII field value
							goto refuse
						end
						nfields = nfields + 1
						if nfields > max_fields then
							reason = 40	-- too many fields
							goto refuse
						end
						if mode == "trailer" then
							goto checked
						end
						-- (the value is body from vpos, with its OWS: each
						-- check below allows it; no string of its own)
						name = name:lower()
						if name == "content-length" then
							if clen then
								reason = 41	-- duplicate Content-Length
								goto refuse
							end
							if te then
								reason = 42	-- Transfer-Encoding with Content-Length
								goto refuse
							end
							-- (two linear matches: "^0*(%d*)$" backtracks over the zeros)
							if not body:find("^[ \t]*%d+[ \t]*$", vpos) then
								reason = 43	-- invalid Content-Length
								goto refuse
							end
							local digits = body:match("0*(%d+)", vpos)
							if #digits > max_length_digits then
								reason = 44	-- Content-Length too large
								goto refuse
							end
							clen = tonumber(digits)
						elseif name == "transfer-encoding" then
							if clen then
								reason = 42	-- Transfer-Encoding with Content-Length
								goto refuse
							end
							if v10 then
								reason = 45	-- Transfer-Encoding in HTTP/1.0
								goto refuse
							end
							te = te and (te .. "," .. body:sub(vpos)) or body:sub(vpos)
						elseif name == "host" then
							hosts = hosts + 1
							if hosts > 1 then
								reason = 46	-- duplicate Host
								goto refuse
							end
							-- reg-name, IP literals (IPvFuture too), ports: what nginx takes
							-- ("a:1:2" included); never userinfo, a path, a query, a fragment
							-- (with "+": a class that may match nothing would let
							-- both OWS runs compete, quadratic in the blanks)
							if not body:find("^[ \t]*$", vpos) and
							   not body:find("^[ \t]*[%w%-%._~!%$&'%(%)%*%+,;=:%[%]%%]+[ \t]*$", vpos) then
								reason = 47	-- invalid Host
								goto refuse
							end
						elseif name == "upgrade" then
							upgrade = true
						elseif name == "connection" and body:lower():find("upgrade", vpos, true) then
							conn_upgrade = true
						end
					end
					::checked::
					if carried then
						-- the open unit began in an earlier read: keep its
						-- lines (one that begins here: see the end)
						push(ulines, line or data:sub(pos, nl))
						if done then
							prefix, carried, from, ulines = join(ulines), false, nl + 1, {}
						end
					end
					pos = nl + 1
					if done then
						hs = nil
					end
				end
			end
			if finished then
				-- a whole message (head and body) was given to the server
				finished, nreq = false, nreq + 1
				local k = method == "HEAD" and "H" or (upgrades and s_mode ~= 5 and
					(method == "CONNECT" and "C" or upgrade and conn_upgrade and "U")) or nil
				if nreq - nresp > 100 then
					-- no send entry (or it lost track): stop following responses
					s_mode, kinds, k = 5, {}, nil
				end
				if k then
					kinds[nreq] = k
					if k ~= "H" then
						waiting, mode = nreq, "wait"
					end
				end
				inreq, crlf = false, nil
			end
		end
		local v = true
		if carried then				-- the unit is still open
			if mode == "wait" or mode == "proxy" then
				push(held, data)
				held_n = held_n + n
			end
		else
			local stop = hs or n + 1
			if stop > n then
			elseif mode == "wait" or mode == "proxy" then
				held, held_n = { data:sub(stop) }, n - stop + 1
			elseif stop < pos then
				-- the complete lines of a unit still open (its open line
				-- is in part)
				ulines[1] = data:sub(stop, pos - 1)
			end
			if prefix then
				v = prefix .. data:sub(from, stop - 1)
			elseif stop > n then
				v = nil
			elseif stop > 1 then
				v = data:sub(1, stop - 1)
			end
		end
		busy = false
		if whole then
			return v or data
		end
		return v
	end
	::refuse::
	mode = "dead"
	held, part, ulines = {}, {}, {}
	for text in REASONS:gmatch("[^\n]+") do
		reason = reason - 1
		if reason == 0 then
			reason = text
			break
		end
	end
	if log then
		luaulp.log("http_guard: " .. reason)
	end
	if reply then
		local text = reply_reason and ("Bad Request: " .. reason .. "\n") or "Bad Request\n"
		luaulp.send("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n" ..
			"Content-Length: " .. #text .. "\r\nConnection: close\r\n\r\n" .. text)
	end
	return CLOSE
end

-- The send entry: what the server writes, to see the answer to an upgrade.
function guard_send(data)
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
			local buf = s_buf == "" and data or s_buf .. data:sub(pos)
			local from = s_buf == "" and pos or 1
			local e = buf:find(pat, from, true)
			if s_mode == 4 and buf:byte(from) == 13 then
				e = from				-- no trailer fields
				pat = "\r\n"
			end
			if not e then
				s_buf = buf:sub(from)
				if #s_buf > 16384 then
					s_mode = 5
				end
				break
			end
			local stop = e + #pat - 1
			pos = pos + stop - from + 1 - #s_buf
			local text = buf:sub(from, stop)
			s_buf = ""
			if s_mode == 2 then
				local hex = text:match("^%x+")
				local size = hex and #hex <= 15 and tonumber(hex, 16)
				if not size then
					s_mode = 5
				elseif size == 0 then
					s_mode = 4
				else
					s_mode, s_left = 3, size + 2
				end
			elseif s_mode == 4 then
				s_mode = 0
			else
				-- a complete response head: follow its framing
				local status = tonumber(text:match("^HTTP/%d%.%d (%d%d%d)"))
				local k = kinds[nresp + 1]
				if not status then
					s_mode = 5
				elseif status < 200 then
					-- interim: the final one follows
					if status == 101 then
						s_mode = 5
						if k == "U" and waiting == nresp + 1 and mode == "wait" then
							mode = "tunnel"
						end
					end
				else
					nresp = nresp + 1
					kinds[nresp] = nil
					if waiting == nresp and mode == "wait" then
						waiting, mode = nil, "head"
						if k == "C" and status < 300 then
							mode, s_mode = "tunnel", 5
						else
							resume = true
						end
					end
					text = text:lower()
					if s_mode == 5 or k == "H" or status == 204 or status == 304 then
						-- no body
					elseif text:find("\ntransfer%-encoding:[^\n]*chunked") then
						s_mode = 2
					else
						local cl = text:match("\ncontent%-length:[ \t]*(%d+)")
						s_left = tonumber(cl) or 0
						s_mode = not cl and 5 or s_left > 0 and 1 or 0
					end
				end
			end
		end
	end
	return nil
end

-- Start with no garbage: what the top level left (and, loaded from source,
-- the parser's) would otherwise set the collector's first threshold high.
collectgarbage("collect")
