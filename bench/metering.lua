-- wrk script: usage events with unique (resource, dimension, hour) keys, so every event is Accepted.
-- env: MODE=batch|single, SUBS=file of subscription IDs, TOKEN=bearer, PLAN=plan ID, DIMS=number of dimensions
local subs = {}
local threads = {}
local counter = 0
local tid = 0
local hours = {}

local function load()
  for line in io.lines(os.getenv("SUBS")) do subs[#subs + 1] = line end
  for h = 1, 23 do hours[h] = os.date("!%Y-%m-%dT%H:05:00", os.time() - h * 3600) end
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  load()
  tid = tonumber(id) or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
end

local mode = os.getenv("MODE") or "batch"
local plan = os.getenv("PLAN") or "bench"
local dims = tonumber(os.getenv("DIMS") or "30")
-- PATH_UNDER_TEST sends the single events elsewhere (bench/run: the bare POST baseline, same bytes).
local single_path = os.getenv("PATH_UNDER_TEST") or "/api/usageEvent?api-version=2018-08-31"

local function event(i)
  local n = #subs
  local sub = subs[(i % n) + 1]
  local dim = math.floor(i / n) % dims + 1
  local hour = hours[math.floor(i / (n * dims)) % 23 + 1]
  return string.format('{"resourceId":"%s","quantity":1.5,"dimension":"d%d","effectiveStartTime":"%s","planId":"%s"}', sub, dim, hour, plan)
end

function request()
  -- Disjoint key ranges over all K = subscriptions x dims x 23 hours keys: single events per thread in
  -- [t * K/10, ...), batches in [K/5 + t * 2K/5, ...). A run that sends more than its range wraps into keys already
  -- used, and those events are answered Duplicate: "accepted events" below counts only the Accepted ones.
  local k = #subs * dims * 23
  local base = mode == "single" and math.floor(tid * k / 10) or math.floor(k / 5 + tid * 2 * k / 5)
  if mode == "single" then
    counter = counter + 1
    return wrk.format(nil, single_path, nil, event(base + counter))
  end
  local parts = {}
  for j = 1, 25 do
    counter = counter + 1
    parts[j] = event(base + counter)
  end
  return wrk.format(nil, "/api/batchUsageEvent?api-version=2018-08-31", nil, '{"request":[' .. table.concat(parts, ",") .. ']}')
end

-- Events the server answered Accepted. A single event's 200 is always Accepted (spec-saas §7.1: "the only success
-- status"; the others are 4xx), so single mode counts the responses below 400 in done() and defines no response
-- callback: one per request costs wrk (which shares the 2 cores with the server) a Lua call and a copy of every
-- body. A batch's 200 can hold Duplicates, so batch mode counts its Accepted items.
accepted = 0
if mode ~= "single" then
  function response(status, headers, body)
    if status == 200 then
      local _, n = body:gsub('"status":"Accepted"', "")
      accepted = accepted + n
    end
  end
end

function done(summary, latency, requests)
  local total = 0
  if mode == "single" then
    total = summary.requests - summary.errors.status -- responses, less those with a status above 399
  else
    for _, t in ipairs(threads) do total = total + (tonumber(t:get("accepted")) or 0) end
  end
  io.write(string.format("accepted events: %d in %.2fs\n", total, summary.duration / 1e6))
end
