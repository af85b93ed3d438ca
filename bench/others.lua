-- POST /api/auth/login for the accounts other1@example.com …
-- other<BENCH_OTHERS>@example.com in turn, each request from another client
-- address (X-Forwarded-For through the trusted loopback proxy): the people
-- who are not flooding, in section (f). Run it with one wrk thread.
local password = os.getenv("BENCH_PASSWORD") or "Copper-Kite-Lamp-42"
local accounts = tonumber(os.getenv("BENCH_OTHERS") or "16")
local sent = 0

request = function()
  sent = sent + 1
  local body = string.format(
    '{"email":"other%d@example.com","password":"%s","device_name":"wrk"}',
    sent % accounts + 1, password)
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = string.format(
      "10.%d.%d.%d", math.floor(sent / 65536) % 256, math.floor(sent / 256) % 256, sent % 256),
  }
  return wrk.format("POST", nil, headers, body)
end

dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/report.lua")
