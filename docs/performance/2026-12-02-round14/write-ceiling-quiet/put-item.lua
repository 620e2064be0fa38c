-- A checklist item's status set by its own municipality: PUT with If-Match: * and a new Idempotency-Key each time,
-- answered 204 with the ETag (Prefer: return=minimal, RFC 7240), as the floor answers.
local codes, tokens, items = {}, {}, {}
local statuses = { "not_implemented", "partial", "implemented" }
local counter, prefix = 0, "wrk"
local next_thread = 1

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  for line in io.lines(args[1]) do
    local code, token = line:match("^(%S+)%s+(%S+)$")
    if code then codes[#codes + 1] = code; tokens[code] = token end
  end
  for line in io.lines(args[2]) do
    if #line > 0 then items[#items + 1] = line end
  end
  prefix = args[3] .. "-" .. tostring(thread_id)
  math.randomseed(thread_id * 7919 + os.time())
end

function request()
  counter = counter + 1
  local code = codes[math.random(#codes)]
  return wrk.format("PUT", "/api/v1/municipalities/" .. code .. "/security/" .. items[math.random(#items)],
    { ["Authorization"] = "Bearer " .. tokens[code], ["Content-Type"] = "application/json", ["If-Match"] = "*",
      ["Prefer"] = "return=minimal", ["Idempotency-Key"] = prefix .. "-" .. counter },
    '{"status":"' .. statuses[math.random(#statuses)] .. '"}')
end