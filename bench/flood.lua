-- POST /api/auth/change-password for one account, as fast as wrk can: the
-- flood of section (f). The body re-uses the current password as the new
-- one, so each request costs two Argon2id verifications (the current
-- password, then the history check) and ends in 400 `password_reused`,
-- without changing the account or counting toward its lockout. All of it
-- comes from one client address (X-Forwarded-For through the trusted
-- loopback proxy). The token is read from the file BENCH_FLOOD_TOKEN_FILE.
local password = os.getenv("BENCH_PASSWORD") or "Copper-Kite-Lamp-42"
local file = assert(io.open(os.getenv("BENCH_FLOOD_TOKEN_FILE"), "r"))
local token = file:read("*l")
file:close()

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["X-Forwarded-For"] = "203.0.113.66"
wrk.body = string.format(
  '{"current_password":"%s","new_password":"%s","confirm_password":"%s"}',
  password, password, password)

-- BENCH_FLOOD_DELAY_MS > 0 paces each connection (wrk's delay hook): an
-- open flood at a fixed rate instead of a closed loop that re-sends the
-- instant a refusal comes back.
local pause = tonumber(os.getenv("BENCH_FLOOD_DELAY_MS") or "0")
if pause > 0 then
  function delay()
    return pause
  end
end

dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/report.lua")
