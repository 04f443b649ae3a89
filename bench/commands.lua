-- wrk script for bench/commands.py: each request is a command (or a GET), chosen by MODE.
-- MODE=get: GET of one department; view: GET of one case (VIEW_CASE, its id, for
-- bench/case_view.py); receipt: POST /api/v1/cases; mix: receipts, then acknowledge,
-- interaction, assign and transfer, each on a case of its own (from CASES, one id a line,
-- shared out between threads so no two requests touch one case).
-- done() prints one JSON line: requests, seconds, p50/p99 (ms), non-2xx and socket errors.

local token = os.getenv("TOKEN")
local mode = os.getenv("MODE")
local threads_total = tonumber(os.getenv("THREADS"))
local cases_file = os.getenv("CASES")
local auth = "Bearer " .. token
local json_headers = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
local get_headers = {["Authorization"] = auth}
local receipt = '{"channel": "email", "purpose": "issue_or_complaint", ' ..
    '"department": "public-works", "subject": "Pothole", ' ..
    '"description": "Deep hole on King St", "contact": {"name": "Ann"}}'
local commands = {
  {"acknowledge", '{"message": "Thank you; we are on it."}'},
  {"interactions", '{"channel": "telephone", "direction": "outbound", ' ..
                   '"summary": "Called back", "effort_minutes": 3}'},
  {"assign", '{"assignee": "roads-crew-1"}'},
  {"transfer", '{"to_department": "community", "warm": true, "customer_informed": true, ' ..
                '"handover_note": "Park path, not a road"}'},
}

local counter = 1
local ids = {}
local next_id = 1

function setup(thread)
  thread:set("thread_number", counter)
  counter = counter + 1
end

function init(args)
  if cases_file ~= nil and cases_file ~= "" then
    local n = 0
    for line in io.lines(cases_file) do
      n = n + 1
      -- every thread takes the lines whose number is its own, modulo the thread count
      if (n - 1) % threads_total == thread_number - 1 then
        ids[#ids + 1] = line
      end
    end
  end
end

local turn = 0

function request()
  turn = turn + 1
  if mode == "get" then
    return wrk.format("GET", "/api/v1/departments/public-works", get_headers)
  end
  if mode == "view" then
    return wrk.format("GET", "/api/v1/cases/" .. os.getenv("VIEW_CASE"), get_headers)
  end
  local kind = (mode == "receipt") and 0 or (turn % 5)
  if kind == 0 then
    return wrk.format("POST", "/api/v1/cases", json_headers, receipt)
  end
  local id = ids[next_id]
  next_id = next_id + 1
  local command = commands[kind]
  return wrk.format("POST", "/api/v1/cases/" .. id .. "/" .. command[1], json_headers,
                    command[2])
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "non_2xx": %d, ' ..
    '"socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
