function entry(data, size)
  local method, path = data:match("^(%u+) (%S+) HTTP/1%.[01]\r\n")
  if not method then return nil end
  local headers = {}
  for k, v in data:gmatch("\r\n([%w-]+):%s*([^\r]*)") do headers[k:lower()] = v end
  if #path > 64 or headers["x-evil"] then return true end
  return string.format("%s %s %d", method, path, size)
end
