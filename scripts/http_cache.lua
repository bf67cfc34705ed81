-- SPDX-License-Identifier: GPL-2.0
--
-- http_cache.lua: answer GETs for configured paths from the kernel, out of
-- the shared store (luaulp.store), without the server seeing them.
--
-- Attach it to an HTTP/1.x server's accepted sockets with both entries:
--   entry = "cache_recv"; send_entry = "cache_send";
-- In front of it, the guard: build/scripts/http_guard_cache.lua is
-- http_guard.lua then this file in one chunk (make; see scripts/README.md):
-- cache_recv then runs guard() first and only sees the heads it released,
-- cache_send runs guard_send() first.
--
-- Key: the local address and port the request came in on, Host, and the
-- request-target as sent ("http_cache:ADDR PORT HOST TARGET"); a key longer
-- than the store's 256 bytes is hashed, and the full key is stored with the
-- value and compared on a hit, so a hash collision is a miss, never another
-- response.
--
-- Stored (RFC 9111 as a shared cache): a complete "200" to a GET with a
-- Content-Length, at most max_object bytes, without Set-Cookie, Vary,
-- Cache-Control no-store / no-cache / private, for the response's freshness
-- lifetime (s-maxage, else max-age, else Expires minus Date) less its Age,
-- at most ttl seconds (ttl also when the response gives none).  Not stored
-- or served: requests with Authorization or Cookie, a body (a "fat GET"),
-- conditional or range fields, Cache-Control / Pragma no-cache or no-store,
-- "Connection: close", HTTP/1.0, bare-LF lines, a second Host, or a field
-- that overrides the host, URL, scheme or method for many servers
-- (Forwarded, X-Forwarded-* but -For, X-Host, X-Original-*,
-- X-Rewrite-URL, *method*): unkeyed, the response may depend on them.  A hit gets "Age" (seconds since it
-- was stored, plus the Age it came with) and "X-Cache: kernel".
--
-- Responses stay in order: a request is served from the store only when
-- the server owes no response on this connection.  An incomplete head that
-- could be a hit is held back until its end (at most max_head bytes; a
-- head that cannot be a hit is passed as soon as that is known).
-- Conservative by design: whatever it does not understand (a request with a
-- body, a response without Content-Length, bytes the send entry did not see)
-- turns caching off for the rest of that connection, never the traffic.

local config = {
	paths = { "/", "/index.html", "/index.nginx-debian.html" },
	prefixes = { "/static/" },	-- any path starting with one of these
	ttl = 60,			-- seconds an entry lives (at most)
	max_object = 8192,		-- bytes of a cached response, head included
	max_head = 8192,		-- bytes of a request or response head held
	preload = {},			-- e.g. { ["127.0.0.1 80 localhost /hello"] = "HTTP/1.1 200 OK\r\n..." }
	-- A response body that does not end in the send call of its head turns
	-- caching off for the connection: with sendfile() on 6.1 kernels the
	-- body bypasses the send entry, and bytes it never sees would put it out
	-- of step.  Set false if the server does not use sendfile (nginx:
	-- "sendfile off;") or the kernel routes it through sendmsg (6.12).
	whole_in_one_send = true,
	log = false,
}

local find, sub, lower, match, gmatch, byte = string.find, string.sub, string.lower,
	string.match, string.gmatch, string.byte
local store = luaulp.store
local PREFIX = "http_cache:"
local KEY_MAX = 256				-- kernel/store.c LUAULP_STORE_KEY_MAX
local TTL_MAX = 365 * 24 * 3600			-- the store's largest ttl
local sock = luaulp.socket or {}
local HERE = PREFIX .. tostring(sock.local_addr) .. " " .. tostring(sock.local_port) .. " "

-- The guard, if it was loaded into this state first (http_guard_cache.lua).
local front_recv, front_send = rawget(_ENV, "guard"), rawget(_ENV, "guard_send")

-- Per-connection state.
local held = ""		-- an incomplete request head held back (a possible hit)
local queue = {}	-- requests given to the server, oldest first
local qhead, qtail = 1, 0
local off = false	-- caching off for this connection
local resp = ""		-- the response being read (send side)
local body_left = nil	-- bytes of its body still to come; nil: in its head
local filling = nil	-- { key, parts, ttl, age } while capturing a response

-- FNV-1a, 64 bits, as 16 hex digits.
local function hash(s)
	local h = -3750763034362895579			-- 0xcbf29ce484222325
	for i = 1, #s do
		h = (h ~ byte(s, i)) * 1099511628211
	end
	return string.format("%016x", h)
end

-- The store key for FULL (PREFIX .. address, port, host, target).
local function store_key(full)
	if #full <= KEY_MAX then
		return full
	end
	return PREFIX .. "#" .. hash(full)
end

if store then
	for key, value in pairs(config.preload) do
		local k = store_key(PREFIX .. key)
		if not store.get(k) then
			store.set(k, "0 " .. luaulp.time() .. " " .. PREFIX .. key .. "\n" .. value, config.ttl)
		end
	end
end

local function cacheable_path(target)
	for _, p in ipairs(config.paths) do
		if target == p then
			return true
		end
	end
	for _, p in ipairs(config.prefixes) do
		if sub(target, 1, #p) == p then
			return true
		end
	end
	return false
end

-- A complete request head: method, its full key if cacheable (else nil),
-- whether it carries a body.
local function parse_request(head)
	local method, target, version = match(head, "^(%u+) (%S+) (HTTP/1%.%d)\r\n")
	if not method then
		return nil, nil, true
	end
	local host, body, ok = nil, false, method == "GET" and version == "HTTP/1.1"
	for name, value in gmatch(head, "\r\n([^:\r\n]+):[ \t]*([^\r\n]*)") do
		name, value = lower(name), lower(value)
		if name == "host" then
			-- a second one: which the server takes is its business
			ok, host = ok and not host, value
		elseif name == "forwarded" or name == "x-host" or name == "x-rewrite-url" or
		       (find(name, "^x%-forwarded%-") and name ~= "x-forwarded-for") or
		       find(name, "^x%-original%-") or find(name, "method", 1, true) then
			-- unkeyed fields that override the host, URL, scheme or method
			-- for many servers and frameworks: the response may depend on
			-- them, so it is for this request only
			ok = false
		elseif name == "content-length" then
			body = body or value ~= "0"
		elseif name == "transfer-encoding" then
			body = true
		elseif name == "authorization" or name == "cookie" or name == "range" or
		       name == "if-none-match" or name == "if-modified-since" or
		       name == "if-match" or name == "if-unmodified-since" or
		       name == "if-range" or
		       (name == "connection" and find(value, "close", 1, true)) or
		       ((name == "cache-control" or name == "pragma") and
			(find(value, "no-cache", 1, true) or find(value, "no-store", 1, true))) then
			ok = false
		end
	end
	if ok and not body and store and cacheable_path(target) then
		return method, HERE .. (host or "") .. " " .. target, body
	end
	return method, nil, body
end

-- Serve FULL from the store: true if done, false on a miss, nil if the
-- response could not be sent whole (the connection must be reset).
local function serve(full)
	local v = store.get(store_key(full))
	if type(v) ~= "string" then
		return false
	end
	local age0, t, k, e = match(v, "^(%d+) (%d+) ([^\n]*)\n()")
	if k ~= full then
		return false				-- a hash collision: a miss
	end
	local age = tonumber(age0) + luaulp.time() - tonumber(t)
	local line = find(v, "\r\n", e, true)
	if not line then
		return false
	end
	local r = sub(v, e, line + 1) .. "Age: " .. (age > 0 and age or 0) ..
		"\r\nX-Cache: kernel\r\n" .. sub(v, line + 2)
	local n = luaulp.send(r)
	if n ~= #r then
		return nil
	end
	if front_send then
		-- the guard follows the responses (an upgrade request answered
		-- here is not upgraded): this one never passes the send entry
		front_send(r)
	end
	if config.log then
		luaulp.log("http_cache: hit " .. full)
	end
	return true
end

-- The end of the first head in BUF from POS: its last byte, or nil; "lf"
-- if a line of it ends in a bare LF (never served: not what the cache
-- parses, and a bare-LF head is never held waiting for a CRLF).
local function head_end(buf, pos)
	local e = find(buf, "\n", pos, true)
	while e do
		if byte(buf, e - 1) ~= 13 then
			return e, "lf"
		end
		if byte(buf, e + 1) == 13 and byte(buf, e + 2) == 10 then
			return e + 2
		end
		e = find(buf, "\n", e + 1, true)
	end
	return nil
end

-- Caching on BUF (a string); the verdict.
local function recv(data)
	local buf = held == "" and data or held .. data
	local pos, out, changed = 1, {}, held ~= ""
	held = ""
	while true do
		local e, lf = head_end(buf, pos)
		if not e or lf then
			if lf then
				off = true			-- bare-LF heads: step aside
			end
			break
		end
		local head = sub(buf, pos, e)
		local method, key, body = parse_request(head)
		local done = false
		if key and qtail < qhead then
			done = serve(key)
			if done == nil then
				return luaulp.RESET
			end
		end
		if done then
			changed = true
		else
			out[#out + 1] = head
			qtail = qtail + 1
			queue[qtail] = { method = method, key = key }
		end
		pos = e + 1
		if body or not method then
			off = true			-- bodies: step aside for good
			break
		end
	end
	local rest = sub(buf, pos)
	-- Hold back an incomplete head that could still be served from the store.
	if not off and rest ~= "" and qtail < qhead and #rest <= config.max_head and
	   sub("GET ", 1, #rest) == sub(rest, 1, 4) and not find(rest, "[^\r]\n") and
	   (not match(rest, "^GET [^\r]*\r\n") or
	    cacheable_path(match(rest, "^GET (%S*)") or "")) then
		held = rest
		changed = true
	else
		out[#out + 1] = rest
	end
	if not changed then
		return nil
	end
	return table.concat(out)
end

-- The receive entry.
function cache_recv(data)
	local given = nil			-- what the guard released, if it changed DATA
	if front_recv then
		local v = front_recv(data)
		if v == true or (v ~= nil and v ~= false and type(v) ~= "string") then
			return v			-- held back, or refused
		end
		if type(v) == "string" then
			data, given = v, v
		end
	end
	if off then
		return given
	end
	local v = recv(data)
	if v == nil then
		return given
	end
	return v
end

local function response_done()
	if filling then
		local r = table.concat(filling.parts)
		local full = filling.key
		store.set(store_key(full), filling.age .. " " .. luaulp.time() .. " " .. full .. "\n" .. r,
			filling.ttl)
		if config.log then
			luaulp.log("http_cache: stored " .. full)
		end
		filling = nil
	end
end

local MONTHS = { jan = 0, feb = 1, mar = 2, apr = 3, may = 4, jun = 5, jul = 6, aug = 7,
		 sep = 8, oct = 9, nov = 10, dec = 11 }

-- An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", lower-cased) as seconds
-- since the epoch, or nil.
local function http_date(s)
	local d, mon, y, hh, mm, ss = match(s or "",
		"^%a%a%a, (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) gmt$")
	local m = MONTHS[mon]
	if not m then
		return nil
	end
	y, m = tonumber(y), m + 1
	-- days from civil (proleptic Gregorian)
	if m <= 2 then
		y = y - 1
	end
	local era = y // 400
	local yoe = y - era * 400
	local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + tonumber(d) - 1
	local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
	local days = era * 146097 + doe - 719468
	return days * 86400 + tonumber(hh) * 3600 + tonumber(mm) * 60 + tonumber(ss)
end

-- A complete response head for the oldest request in the queue.
local function response_head(head)
	local status = tonumber(match(head, "^HTTP/1%.%d (%d%d%d)"))
	if not status then
		return false
	end
	if status >= 100 and status < 200 then
		return 0, true				-- interim: not the response yet
	end
	local req = queue[qhead]
	if not req then
		return false
	end
	queue[qhead], qhead = nil, qhead + 1
	local len, store_it = nil, status == 200 and req.key ~= nil
	local smax, max, date, expires, age = nil, nil, nil, nil, 0
	for name, value in gmatch(head, "\r\n([^:\r\n]+):[ \t]*([^\r\n]*)") do
		name, value = lower(name), lower(value)
		if name == "content-length" then
			len = tonumber(match(value, "^%d+$"))
			if not len or len > 1000000000 then
				return false
			end
		elseif name == "transfer-encoding" then
			return false
		elseif name == "set-cookie" or name == "vary" or
		       (name == "connection" and find(value, "close", 1, true)) then
			store_it = false
		elseif name == "cache-control" then
			for d in gmatch(value, "[^,]+") do
				local dn, dv = match(d, "^[ \t]*([%w%-]+)[ \t]*=?[ \t]*\"?(%d*)")
				if dn == "no-store" or dn == "no-cache" or dn == "private" then
					store_it = false
				elseif dn == "s-maxage" then
					smax = tonumber(dv) or 0
				elseif dn == "max-age" then
					max = tonumber(dv) or 0
				end
			end
		elseif name == "pragma" and find(value, "no-cache", 1, true) then
			store_it = false
		elseif name == "date" then
			date = http_date(value)
		elseif name == "expires" then
			expires = http_date(value) or 0		-- invalid: already expired
		elseif name == "age" then
			age = tonumber(match(value, "^%d+$")) or 0
		end
	end
	if req.method == "HEAD" or status == 204 or status == 304 then
		len = 0
	end
	if not len then
		return false
	end
	-- freshness lifetime (RFC 9111 4.2.1), capped by config.ttl
	local life = smax or max
	if not life and expires then
		life = expires - (date or luaulp.time())
	end
	local ttl = config.ttl
	if life and life < ttl then
		ttl = life
	end
	ttl = ttl - age
	if ttl > TTL_MAX then
		ttl = TTL_MAX
	end
	if store_it and ttl > 0 and #head + len <= config.max_object then
		-- the stored copy has no Age of its own: serve() adds it
		head = head:gsub("\r\n[Aa][Gg][Ee]:[^\r\n]*", "")
		filling = { key = req.key, parts = { head }, ttl = ttl, age = age }
	end
	return len
end

-- The send entry: follow the server's responses, capture cacheable ones.
function cache_send(data)
	if front_send then
		front_send(data)
	end
	if off then
		return nil
	end
	local pos, n = 1, #data
	while pos <= n do
		if body_left then
			local take = n - pos + 1
			if take > body_left then
				take = body_left
			end
			if filling then
				filling.parts[#filling.parts + 1] = sub(data, pos, pos + take - 1)
			end
			body_left = body_left - take
			pos = pos + take
			if body_left == 0 then
				body_left = nil
				response_done()
			end
		else
			local buf = resp .. sub(data, pos)
			local e = find(buf, "\r\n\r\n", 1, true)
			if not e then
				if #buf > config.max_head then
					off = true
					return nil
				end
				resp = buf
				return nil
			end
			local used = e + 3 - #resp	-- bytes of DATA in this head
			local len, interim = response_head(sub(buf, 1, e + 3))
			resp = ""
			pos = pos + used
			if not len then
				off, filling = true, nil
				return nil
			end
			if not interim then
				if len == 0 then
					response_done()
				else
					body_left = len
				end
			end
		end
	end
	if body_left and config.whole_in_one_send then
		off, filling = true, nil
	end
	return nil
end
