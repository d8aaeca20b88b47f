-- wrk script: one open_account command per request, a unique id and
-- Idempotency-Key each (thread number + counter + run prefix), keep-alive.
local threads = {}
local next_thread = 0
function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end
local counter = 0
local token = os.getenv("ACCRUE_TOKEN")
local run = os.getenv("ACCRUE_RUN") or "r"
function request()
  counter = counter + 1
  local id = run .. "-" .. tid .. "-" .. counter
  local body = '{"command":"open_account","idempotency_key":"x","account_id":"' .. id .. '","currency":"USD"}'
  return wrk.format("POST", "/v1/commands",
    {["Authorization"] = "Bearer " .. token, ["Idempotency-Key"] = id, ["Content-Type"] = "application/json"}, body)
end
local non200 = 0
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d p999_us=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
