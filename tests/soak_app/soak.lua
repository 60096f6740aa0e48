-- wrk script for the soak test: a weighted mix of the soak app's requests.
--
-- Each request names its kind in an X-Soak-Kind header; the app's middleware echoes it back, so
-- response() can count statuses per kind even though a thread drives several connections at
-- once. done() prints one line, "SOAK-RESULT <json>", with the totals of every thread.
--
-- Script arguments (after "--" on wrk's command line): the session cookie to send ("name=value"),
-- and this run's number (1-9), which keeps the /boom/<n> paths of successive runs apart.

-- kind, weight, method, path, content type, body (nil: none). Bodies are built once, in init().
local kinds = {
  {"items_get",     30, "GET",  nil},
  {"items_post",    10, "POST", "/items"},
  {"items_missing",  3, "GET",  "/items/999999"},
  {"bad_json",       2, "POST", "/items"},
  {"form",          10, "POST", "/form"},
  {"upload",         5, "POST", "/upload"},
  {"session",       10, "GET",  "/session"},
  {"page",          10, "GET",  "/page"},
  {"range",         10, "GET",  "/static/blob.bin"},
  {"boom",           2, "GET",  "/boom/<n>"},
  {"not_found",      3, "GET",  "/no/such/page"},
}

local wheel = {}      -- kind index repeated by weight: a random pick is weighted
local requests = {}   -- kind index -> prebuilt request string (nil: built per call)
local threads = {}
local counter = 0
local attempts = 0    -- per thread: /boom requests made, numbered so each is logged by its path
local run = 0         -- this run's number (script argument)
counts = {}           -- per thread: "kind status" -> count (flat: thread:get copies it in done())

local BOUNDARY = "----kolba-soak-boundary"

local function upload_body()
  local chunk = string.rep("0123456789abcdef", 64)            -- 1 KiB
  local payload = string.rep(chunk, 100)                       -- 100 KiB
  return table.concat({
    "--" .. BOUNDARY .. "\r\n",
    'Content-Disposition: form-data; name="note"\r\n\r\n',
    "soak upload\r\n",
    "--" .. BOUNDARY .. "\r\n",
    'Content-Disposition: form-data; name="file"; filename="payload.bin"\r\n',
    "Content-Type: application/octet-stream\r\n\r\n",
    payload, "\r\n",
    "--" .. BOUNDARY .. "--\r\n",
  })
end

setup = function(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

init = function(args)
  local cookie = args[1]
  run = tonumber(args[2] or "0") or 0
  math.randomseed(id * 7919)
  for i, k in ipairs(kinds) do
    for _ = 1, k[2] do table.insert(wheel, i) end
  end
  local function build(kind, method, path, headers, body)
    headers["X-Soak-Kind"] = kind
    return wrk.format(method, path, headers, body)
  end
  requests[2] = build("items_post", "POST", "/items",
    {["Content-Type"] = "application/json"}, '{"name": "written by wrk"}')
  requests[3] = build("items_missing", "GET", "/items/999999", {}, nil)
  requests[4] = build("bad_json", "POST", "/items",
    {["Content-Type"] = "application/json"}, '{"name": ')
  requests[5] = build("form", "POST", "/form",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, "name=soak&tag=a&tag=b&tag=c")
  requests[6] = build("upload", "POST", "/upload",
    {["Content-Type"] = "multipart/form-data; boundary=" .. BOUNDARY}, upload_body())
  local session_headers = {}
  if cookie then session_headers["Cookie"] = cookie end
  requests[7] = build("session", "GET", "/session", session_headers, nil)
  requests[8] = build("page", "GET", "/page", {}, nil)
  requests[11] = build("not_found", "GET", "/no/such/page", {}, nil)
end

request = function()
  local i = wheel[math.random(#wheel)]
  if i == 1 then
    return wrk.format("GET", "/items/" .. math.random(100), {["X-Soak-Kind"] = "items_get"})
  elseif i == 10 then
    attempts = attempts + 1
    return wrk.format("GET", "/boom/" .. (run * 1e10 + id * 1e9 + attempts), {["X-Soak-Kind"] = "boom"})
  elseif i == 9 then
    local first = math.random(0, 60000)
    return wrk.format("GET", "/static/blob.bin", {
      ["X-Soak-Kind"] = "range",
      ["Range"] = "bytes=" .. first .. "-" .. (first + 4095),
    })
  end
  return requests[i]
end

-- What some kinds' answers must hold, beyond the status. An answer that fails is counted under
-- "<kind>!body", a kind the driver does not expect, so the test reports it.
local body_checks = {
  -- the whole 100 KiB file arrived, with the text field beside it
  upload = function(body)
    return body:find('"size":102400', 1, true) and body:find('"note":"soak upload"', 1, true)
  end,
  -- exactly the 4 KiB asked for
  range = function(body) return #body == 4096 end,
  -- the cookie from the driver (one visit) was read: this is the second
  session = function(body) return body:find('"visits":2', 1, true) end,
  items_post = function(body) return body:find('"name":"written by wrk"', 1, true) end,
}

response = function(status, headers, body)
  local kind = headers["X-Soak-Kind"] or headers["x-soak-kind"] or "unlabelled"
  local check = body_checks[kind]
  if check and status < 300 and not check(body) then
    kind = kind .. "!body"
  end
  local key = kind .. " " .. status
  counts[key] = (counts[key] or 0) + 1
end

-- A minimal JSON encoder: string keys, number or table values are all done() writes.
local function encode(value)
  if type(value) == "table" then
    local parts = {}
    for k, v in pairs(value) do
      table.insert(parts, string.format("%q", tostring(k)) .. ":" .. encode(v))
    end
    table.sort(parts)
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return string.format("%d", value)
end

done = function(summary, latency, _)
  local totals = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      local kind, status = key:match("^(%S+) (%d+)$")
      totals[kind] = totals[kind] or {}
      totals[kind][status] = (totals[kind][status] or 0) + n
    end
  end
  local e = summary.errors
  io.write("SOAK-RESULT " .. encode({
    requests = summary.requests,
    duration_us = summary.duration,
    bytes = summary.bytes,
    latency_p50_us = latency:percentile(50),
    latency_p99_us = latency:percentile(99),
    errors = {connect = e.connect, read = e.read, write = e.write, timeout = e.timeout,
              status = e.status},
    kinds = totals,
  }) .. "\n")
end
