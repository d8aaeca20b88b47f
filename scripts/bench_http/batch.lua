-- wrk script: POST /v1/commands:batch with BATCH open_account commands per request
-- (unique ids and keys), keep-alive.
local next_thread = 0
function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end
local counter = 0
local token = os.getenv("ACCRUE_TOKEN")
local run = os.getenv("ACCRUE_RUN") or "r"
local batch = tonumber(os.getenv("ACCRUE_BATCH") or "1000")
function request()
  counter = counter + 1
  local lines = {}
  for i = 1, batch do
    local id = run .. "-" .. tid .. "-" .. counter .. "-" .. i
    lines[i] = '{"command":"open_account","idempotency_key":"' .. id .. '","account_id":"' .. id .. '","currency":"USD"}'
  end
  return wrk.format("POST", "/v1/commands:batch",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/x-ndjson"}, table.concat(lines, "\n") .. "\n")
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f commands_per_s=%.1f p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests * batch / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
