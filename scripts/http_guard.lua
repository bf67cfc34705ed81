-- SPDX-License-Identifier: GPL-2.0
--
-- http_guard.lua: a streaming HTTP/1.x request-head validator in the kernel.
--
-- Attach it to the accepted sockets of an HTTP/1.x server (entry "guard",
-- see config/luaulp.conf).  It follows every request on the connection:
-- the request line and header fields are checked against the message syntax
-- of RFC 9112/9110 where it matters for header injection and request
-- smuggling, bodies are skipped by their framing (Content-Length or chunked),
-- so every head on a keep-alive or pipelined connection is checked, however
-- the bytes are split across reads (down to one byte at a time).
--
-- Bytes are delivered to the server as they arrive; the chunk holding the
-- first byte that makes the stream invalid is never delivered: the guard
-- answers "400 Bad Request" from the kernel and resets the connection, so
-- the server never sees a bad head (it only ever sees a valid prefix of one,
-- then ECONNRESET).
--
-- What is refused (the reason goes into the 400's body and the kernel log):
--   * NUL or other control characters in the head, a bare CR, a bare LF line
--     ending (unless allow_bare_lf), obs-fold (a line starting with SP/HTAB)
--   * a method that is not a token, a request-target with spaces, controls,
--     non-ASCII (unless allow_obs_text_target) or (optionally) an encoded
--     CR/LF/NUL, a form that does not fit the method, a version other than
--     HTTP/1.0 and HTTP/1.1
--   * a field name that is not a token, whitespace before the colon
--   * a second Content-Length (even an identical one), a Content-Length that
--     is not 1*DIGIT, Transfer-Encoding together with Content-Length,
--     Transfer-Encoding in HTTP/1.0, a transfer coding list that does not end
--     in (or, by default, is not exactly) "chunked"
--   * a second Host, a missing Host in HTTP/1.1, a Host that is no host[:port]
--   * malformed chunked framing (size line, the CRLF after the data, trailers)
--   * a request line, a field line, the head or the field count beyond limits
--
-- Not covered: after a "101 Switching Protocols" (WebSocket) or a CONNECT
-- the stream is no longer HTTP; with this guard attached such connections
-- are reset at the first non-HTTP bytes.  Put those ports on another rule.

-- Limits and switches.  Edit here.
local config = {
	max_request_line = 8192,	-- bytes, without CRLF (nginx: 8k buffers)
	max_field_line = 8192,		-- bytes of one field line
	max_head = 32768,		-- request line and fields, with CRLFs
	max_fields = 100,		-- field lines per head
	max_empty_lines = 1,		-- empty lines tolerated before a request line
	max_chunk_line = 1024,		-- chunk-size line with extensions
	max_trailer = 8192,		-- bytes of a chunked body's trailer section
	max_length_digits = 15,		-- Content-Length / chunk-size significant digits
	max_lines_per_read = 4000,	-- lines in one read (~150 VM instructions
					-- each): keeps a call inside the CPU budget

	allow_bare_lf = false,		-- accept LF alone as a line ending
	allow_obs_text = true,		-- bytes 0x80-0xFF in field values
	allow_obs_text_target = false,	-- bytes 0x80-0xFF in the request-target
	reject_encoded_ctl = true,	-- %0d %0a %00 in the request-target
	require_host = true,		-- HTTP/1.1 requests must carry Host
	only_chunked = true,		-- Transfer-Encoding must be exactly "chunked"
	methods = nil,			-- a set such as { GET = true, HEAD = true }; nil: any token

	reply = true,			-- answer 400 from the kernel before the reset
	reply_reason = true,		-- say why in the 400's body
	log = true,			-- luaulp.log() each refusal (rate-limited)
}

local find, sub, byte, lower, match, gsub =
	string.find, string.sub, string.byte, string.lower, string.match, string.gsub

-- Character classes as Lua pattern sets (ASCII only, independent of ctype).
local TCHAR = "[%w!#%$%%&'%*%+%-%.%^_`|~]"
local TOKEN = "^" .. TCHAR .. "+$"
local NAME_PREFIX = "^" .. TCHAR .. "*$"
local NAME_COLON = "^(" .. TCHAR .. "+):"
local NAME_SPACE = "^" .. TCHAR .. "+[ \t]"
-- Controls allowed nowhere in a line (HTAB is OWS in field values).
local CTL = "[%z\1-\8\11\12\14-\31\127]"
local CTL_OR_HTAB = "[%z\1-\31\127]"
local HIGH = "[\128-\255]"
-- A whole field line without controls: name, value without OWS, next position.
local FIELD_LINE = "^(" .. TCHAR .. "+):[ \t]*([^%z\1-\31\127]-)[ \t]*\r\n()"
local TARGET_CTL = "[%z\1-\32\127]"
local TARGET_BAD = "[%z\1-\32\127-\255]"

-- Per-connection state: one Lua state per socket, so chunk-level locals are
-- per connection.
local HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, DEAD = 1, 2, 3, 4, 5, 6, 7
local mode = HEAD
local pending = ""	-- the current line so far, without its LF
local remaining = 0	-- BODY / CHUNK_DATA: bytes still to skip
local used = 0		-- bytes of complete lines in this head (or trailer)
local empties = 0	-- empty lines before this request line
local req = nil		-- the request whose head is being read

local function new_request(method, version)
	return { method = method, version = version, fields = 0, hosts = 0,
		 cl = nil, te = nil }
end

-- Is VER a prefix of a version we accept?
local function version_prefix(ver)
	return ver == sub("HTTP/1.1", 1, #ver) or ver == sub("HTTP/1.0", 1, #ver)
end

local function check_target(method, target, complete)
	if find(target, TARGET_BAD) then
		if find(target, HIGH) and config.allow_obs_text_target then
			if find(target, TARGET_CTL) then
				return "invalid request-target"
			end
		else
			return find(target, HIGH) and "non-ASCII request-target" or
				"invalid request-target"
		end
	end
	if config.reject_encoded_ctl and find(target, "%%0[0aAdD]") then
		return "encoded CR/LF/NUL in request-target"
	end
	if not complete then
		return nil
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
	elseif not match(target, "^[%a][%w%+%-%.]*://[^/?#]") then	-- absolute-form
		return "invalid request-target"
	end
	return nil
end

-- The request line, complete or not yet (BODY is the line without CRLF).
local function request_line(body, complete)
	if find(body, CTL_OR_HTAB) then
		return "control character in request line"
	end
	local method, rest = match(body, "^(" .. TCHAR .. "+) (.*)$")
	if not method then
		if not complete and match(body, NAME_PREFIX) then
			return nil		-- still in the method
		end
		return "invalid method or request line"
	end
	if config.methods and not config.methods[method] then
		return "method not allowed"
	end
	local sp = find(rest, " ", 1, true)
	if not sp then
		if complete then
			return "no HTTP version"	-- HTTP/0.9 is not served
		end
		return check_target(method, rest, false)
	end
	local target, version = sub(rest, 1, sp - 1), sub(rest, sp + 1)
	if target == "" then
		return "empty request-target"
	end
	local err = check_target(method, target, complete)
	if err then
		return err
	end
	if complete then
		if version ~= "HTTP/1.1" and version ~= "HTTP/1.0" then
			return "invalid HTTP version"
		end
		req = new_request(method, version)
	elseif not version_prefix(version) then
		return "invalid HTTP version"
	end
	return nil
end

-- A complete field: NAME as received, VALUE without surrounding OWS.
local function field(name, value, trailer)
	req.fields = req.fields + 1
	if req.fields > config.max_fields then
		return "too many fields"
	end
	if trailer then
		return nil
	end
	name = lower(name)
	if name == "content-length" then
		if req.cl then
			return "duplicate Content-Length"
		end
		if req.te then
			return "Transfer-Encoding with Content-Length"
		end
		local digits = match(value, "^0*(%d*)$")
		if not digits or value == "" then
			return "invalid Content-Length"
		end
		if #digits > config.max_length_digits then
			return "Content-Length too large"
		end
		req.cl = tonumber(digits) or 0
	elseif name == "transfer-encoding" then
		if req.cl then
			return "Transfer-Encoding with Content-Length"
		end
		if req.version == "HTTP/1.0" then
			return "Transfer-Encoding in HTTP/1.0"
		end
		req.te = req.te and (req.te .. "," .. value) or value
	elseif name == "host" then
		req.hosts = req.hosts + 1
		if req.hosts > 1 then
			return "duplicate Host"
		end
		if not (match(value, "^[%w%-%._~!%$&'%(%)%*%+,;=%%]*:?%d*$") or
			match(value, "^%[[%x:%.]+%]:?%d*$")) then
			return "invalid Host"
		end
	end
	return nil
end

-- A field line of the head (TRAILER: of a chunked body's trailer section).
local function field_line(body, complete, trailer)
	local c = byte(body)
	if c == 32 or c == 9 then
		return "obs-fold (line folding)"
	end
	if find(body, CTL) then
		return "control character in field"
	end
	local name = match(body, NAME_COLON)
	if not name then
		if match(body, NAME_SPACE) then
			return "whitespace between field name and colon"
		end
		if not complete and match(body, NAME_PREFIX) then
			return nil
		end
		return "invalid field name"
	end
	local value = sub(body, #name + 2)
	if not config.allow_obs_text and find(value, HIGH) then
		return "non-ASCII field value"
	end
	if not complete then
		return nil
	end
	return field(name, match(value, "^[ \t]*(.-)[ \t]*$"), trailer)
end

-- The transfer codings of a request: nil if the framing is chunked, else
-- the reason to refuse.
local function check_codings(te)
	local codings = {}
	for item in (lower(te) .. ","):gmatch("([^,]*),") do
		item = match(item, "^[ \t]*(.-)[ \t]*$")
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

-- The empty line after the fields: choose how the body is framed.
local function end_of_head()
	if config.require_host and req.version == "HTTP/1.1" and req.hosts == 0 then
		return "missing Host"
	end
	if req.te then
		local err = check_codings(req.te)
		if err then
			return err
		end
		mode = CHUNK_SIZE
	elseif req.cl and req.cl > 0 then
		mode, remaining = BODY, req.cl
	else
		mode = HEAD
	end
	used, empties = 0, 0
	if mode ~= CHUNK_SIZE then
		req = nil
	end
	return nil
end

local function chunk_size_line(body, complete)
	if find(body, CTL) then
		return "control character in chunk size"
	end
	local hex, ext = match(body, "^(%x+)(.*)$")
	if not hex then
		if not complete and body == "" then
			return nil
		end
		return "invalid chunk size"
	end
	if ext ~= "" and not match(ext, "^[ \t]*;") then
		if complete or not match(ext, "^[ \t]*$") then
			return "invalid chunk extension"
		end
	end
	local digits = match(hex, "^0*(.*)$")
	if #digits > config.max_length_digits then
		return "chunk size too large"
	end
	if complete then
		local size = digits == "" and 0 or tonumber(digits, 16)
		if size == 0 then
			mode, used, req.fields = TRAILER, 0, 0
		else
			mode, remaining = CHUNK_DATA, size
		end
	end
	return nil
end

-- One line of input, LINE without its LF; COMPLETE if the LF came.
-- Returns the reason to refuse, or nil.
local function on_line(line, complete)
	local len = #line
	local body = line
	if byte(line, len) == 13 then
		body = sub(line, 1, len - 1)
	elseif complete and not config.allow_bare_lf then
		return "bare LF line ending"
	end
	if find(body, "\r", 1, true) then
		return "bare CR"
	end

	if mode == HEAD then
		local limit = req and config.max_field_line or config.max_request_line
		if len > limit + 1 then
			return req and "field line too long" or "request line too long"
		end
		if used + len + 1 > config.max_head then
			return "request head too large"
		end
		if complete then
			used = used + len + 1
		end
		if not req then
			if body == "" then
				if complete then
					empties = empties + 1
					if empties > config.max_empty_lines then
						return "empty lines before request line"
					end
					used = 0
				end
				return nil
			end
			return request_line(body, complete)
		end
		if body == "" then
			return complete and end_of_head() or nil
		end
		return field_line(body, complete, false)
	elseif mode == CHUNK_SIZE then
		if len > config.max_chunk_line then
			return "chunk size line too long"
		end
		return chunk_size_line(body, complete)
	elseif mode == CHUNK_END then
		if body ~= "" then
			return "chunk data longer than its size"
		end
		if complete then
			mode = CHUNK_SIZE
		end
		return nil
	else -- TRAILER
		if len > config.max_field_line + 1 or used + len + 1 > config.max_trailer then
			return "trailer section too large"
		end
		if body == "" then
			if complete then
				mode, used, req = HEAD, 0, nil
			end
			return nil
		end
		if complete then
			used = used + len + 1
		end
		return field_line(body, complete, true)
	end
end

-- Run DATA through the state machine; the reason to refuse, or nil.
local function inspect(data)
	local pos, n = 1, #data
	local lines = 0
	while pos <= n do
		if mode == BODY or mode == CHUNK_DATA then
			local take = n - pos + 1
			if take > remaining then
				take = remaining
			end
			remaining = remaining - take
			pos = pos + take
			if remaining == 0 then
				mode = mode == BODY and HEAD or CHUNK_END
			end
		elseif mode == CHUNK_SIZE and pending == "" and
		       match(data, "^%x+\r\n", pos) then
			-- Fast path for a whole chunk-size line (no extension).
			local hex, after = match(data, "^0*(%x*)\r\n()", pos)
			if #hex > config.max_length_digits then
				return "chunk size too large"
			end
			local size = hex == "" and 0 or tonumber(hex, 16)
			if size == 0 then
				mode, used, req.fields = TRAILER, 0, 0
				pos = after
			elseif after + size + 1 <= n then
				pos = after + size
				if sub(data, pos, pos + 1) ~= "\r\n" then
					-- let the general path name the error
					mode, remaining = CHUNK_END, 0
				else
					pos = pos + 2
				end
			else
				mode, remaining, pos = CHUNK_DATA, size, after
			end
		else
			lines = lines + 1
			if lines > config.max_lines_per_read then
				return "too many lines in one read"
			end
			-- Fast path for a whole, plain field line of a head: the
			-- general path below decides everything else (and gives
			-- the same verdicts, only slower).
			local name, value, nxt
			if mode == HEAD and req and pending == "" then
				name, value, nxt = match(data, FIELD_LINE, pos)
			end
			if name and nxt - pos - 1 <= config.max_field_line + 1 and
			   used + nxt - pos <= config.max_head and
			   (config.allow_obs_text or not find(value, HIGH)) then
				local err = field(name, value, false)
				if err then
					return err
				end
				used = used + nxt - pos
				pos = nxt
				goto continue
			end
			local nl = find(data, "\n", pos, true)
			local piece = sub(data, pos, (nl or n + 1) - 1)
			local line = pending == "" and piece or pending .. piece
			pending = ""
			local err = on_line(line, nl ~= nil)
			if err then
				return err
			end
			if nl then
				pos = nl + 1
			else
				pending, pos = line, n + 1
			end
		end
		::continue::
	end
	return nil
end

local function refuse(reason)
	mode = DEAD
	if config.log then
		luaulp.log("http_guard: " .. reason)
	end
	if config.reply then
		local text = config.reply_reason and ("Bad Request: " .. reason .. "\n") or "Bad Request\n"
		luaulp.send("HTTP/1.1 400 Bad Request\r\n" ..
			"Content-Type: text/plain\r\n" ..
			"Content-Length: " .. #text .. "\r\n" ..
			"Connection: close\r\n\r\n" .. text)
	end
	return luaulp.RESET
end

-- The receive entry: entry(data, size, nonblock).
-- If a call dies half-way (CPU or memory limit), the state is out of step
-- with the stream: the next call refuses the connection.  (The bytes of the
-- call that died follow the rule's on_error policy: use "reset".)
local busy = false

function guard(data)
	if mode == DEAD then
		return luaulp.RESET
	end
	if busy then
		return refuse("guard lost track of the stream (limit hit)")
	end
	busy = true
	local reason = inspect(data)
	busy = false
	if reason then
		return refuse(reason)
	end
	return nil
end
