-- SPDX-License-Identifier: GPL-2.0
--
-- http_cache.lua: answer GETs for configured paths from the kernel, out of
-- the shared store (luaulp.store), without the server seeing them.
--
-- Attach it to an HTTP/1.x server's accepted sockets with both entries:
--   entry = "cache_recv"; send_entry = "cache_send";
--
-- Filling: when a cacheable GET misses, the request goes to the server and
-- the send entry watches the server's response to it; a complete "200 OK"
-- with a Content-Length, at most max_object bytes, without Set-Cookie and
-- without Cache-Control no-store/no-cache/private, is stored for ttl seconds
-- (or its max-age, if shorter).  Entries can also be preloaded from the
-- preload table below (stored when a connection starts, if absent).
--
-- Serving: a GET for a configured path, HTTP/1.1, no body, no credentials,
-- no conditional or range headers, no "Connection: close" and no request
-- Cache-Control/Pragma no-cache, is answered with luaulp.send() if the store
-- holds the response, with an "X-Cache: kernel" field added.  Responses
-- stay in order: a request is served from the store only when the server
-- has no response still to send on this connection.
--
-- The store is per user and network namespace (the workers' user: all its
-- scripted sockets share it); it is bounded by the module (entries, bytes).
-- Conservative by design: whatever it does not understand (a request with a
-- body, a response without Content-Length, bytes the send entry did not see)
-- turns caching off for the rest of that connection, never the traffic.
-- Validating requests is http_guard.lua's job: run it in front if needed.

local config = {
	paths = { "/", "/index.html", "/index.nginx-debian.html" },
	prefixes = { "/static/" },	-- any path starting with one of these
	ttl = 60,			-- seconds an entry lives (at most)
	max_object = 8192,		-- bytes of a cached response, head included
	max_head = 8192,		-- bytes of a request or response head held
	preload = {},			-- e.g. { ["localhost /hello"] = "HTTP/1.1 200 OK\r\n..." }
	-- A response body that does not end in the send call of its head turns
	-- caching off for the connection: with sendfile() on 6.1 kernels the
	-- body bypasses the send entry, and bytes it never sees would put it out
	-- of step.  Set false if the server does not use sendfile (nginx:
	-- "sendfile off;") or the kernel routes it through sendmsg (6.12).
	whole_in_one_send = true,
	log = false,
}

local find, sub, lower, match, gmatch = string.find, string.sub, string.lower,
	string.match, string.gmatch
local store = luaulp.store
local PREFIX = "http_cache:"

-- Per-connection state.
local held = ""		-- an incomplete request head held back (a possible hit)
local queue = {}	-- requests given to the server, oldest first
local qhead, qtail = 1, 0
local off = false	-- caching off for this connection
local resp = ""		-- the response being read (send side)
local body_left = nil	-- bytes of its body still to come; nil: in its head
local filling = nil	-- { key, parts, size } while capturing a response

if store then
	for key, value in pairs(config.preload) do
		if not store.get(PREFIX .. key) then
			store.set(PREFIX .. key, value, config.ttl)
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

-- A complete request head: method, its store key if cacheable (else nil),
-- whether it carries a body.
local function parse_request(head)
	local method, target, version = match(head, "^(%u+) (%S+) (HTTP/1%.%d)\r\n")
	if not method then
		return nil, nil, true
	end
	local host, body, ok = "", false, method == "GET" and version == "HTTP/1.1"
	for name, value in gmatch(head, "\r\n([^:\r\n]+):[ \t]*([^\r\n]*)") do
		name, value = lower(name), lower(value)
		if name == "host" then
			host = value
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
		return method, PREFIX .. host .. " " .. target, body
	end
	return method, nil, body
end

-- Serve KEY from the store: true if done, false on a miss, nil if the
-- response could not be sent whole (the connection must be reset).
local function serve(key)
	local r = store.get(key)
	if type(r) ~= "string" then
		return false
	end
	r = r:gsub("\r\n", "\r\nX-Cache: kernel\r\n", 1)
	local n = luaulp.send(r)
	if n ~= #r then
		return nil
	end
	if config.log then
		luaulp.log("http_cache: hit " .. key)
	end
	return true
end

-- The receive entry.
function cache_recv(data)
	if off then
		return nil
	end
	local buf = held == "" and data or held .. data
	local pos, out, changed = 1, {}, held ~= ""
	held = ""
	while true do
		local e = find(buf, "\r\n\r\n", pos, true)
		if not e then
			break
		end
		local head = sub(buf, pos, e + 3)
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
		pos = e + 4
		if body or not method then
			off = true			-- bodies: step aside for good
			break
		end
	end
	local rest = sub(buf, pos)
	-- Hold back an incomplete head that could still be served from the store.
	if not off and rest ~= "" and qtail < qhead and #rest <= config.max_head and
	   sub("GET ", 1, #rest) == sub(rest, 1, 4) then
		held = rest
		changed = true
	else
		out[#out + 1] = rest
	end
	if not changed then
		return nil
	end
	local s = table.concat(out)
	return s == "" and true or s
end

local function response_done()
	if filling then
		local r = table.concat(filling.parts)
		store.set(filling.key, r, filling.ttl)
		if config.log then
			luaulp.log("http_cache: stored " .. filling.key)
		end
		filling = nil
	end
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
	local len, ttl, store_it = nil, config.ttl, status == 200 and req.key ~= nil
	for name, value in gmatch(head, "\r\n([^:\r\n]+):[ \t]*([^\r\n]*)") do
		name, value = lower(name), lower(value)
		if name == "content-length" then
			len = tonumber(match(value, "^%d+$"))
			if not len or len > 1000000000 then
				return false
			end
		elseif name == "transfer-encoding" then
			return false
		elseif name == "set-cookie" then
			store_it = false
		elseif name == "connection" and find(value, "close", 1, true) then
			store_it = false
		elseif name == "cache-control" then
			if find(value, "no-store", 1, true) or find(value, "no-cache", 1, true) or
			   find(value, "private", 1, true) then
				store_it = false
			end
			local age = tonumber(match(value, "max%-age=(%d+)"))
			if age and age < ttl then
				ttl = age
			end
		end
	end
	if req.method == "HEAD" or status == 204 or status == 304 then
		len = 0
	end
	if not len then
		return false
	end
	if store_it and ttl > 0 and #head + len <= config.max_object then
		filling = { key = req.key, parts = { head }, ttl = ttl }
	end
	return len
end

-- The send entry: follow the server's responses, capture cacheable ones.
function cache_send(data)
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
