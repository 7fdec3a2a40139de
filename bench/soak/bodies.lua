-- wrk script for bench/soak.sh: cycle through the request bodies in $BODIES_DIR
-- whose names start with $BODY_PREFIX; count statuses; report one JSON line.
local dir = os.getenv("BODIES_DIR")
local prefix = os.getenv("BODY_PREFIX")
local bodies = {}
local listing = io.popen('ls "' .. dir .. '"')
for name in listing:lines() do
  if name:sub(1, #prefix) == prefix then
    local f = assert(io.open(dir .. "/" .. name, "rb"))
    table.insert(bodies, f:read("*a"))
    f:close()
  end
end
listing:close()
assert(#bodies > 0, "no bodies for prefix " .. prefix)

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  sent = 0
  statuses = {}
end

function request()
  sent = sent + 1
  return wrk.format("POST", "/predict", { ["Content-Type"] = "application/json" },
                    bodies[(sent % #bodies) + 1])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total_sent = 0
  local merged = {}
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.timeout
  io.write(string.format(
    'RESULT {"sent":%d,"completed":%d,"socket_errors":%d,"p99_us":%d,"statuses":{%s}}\n',
    total_sent, summary.requests, errors, latency:percentile(99), table.concat(parts, ",")))
end
