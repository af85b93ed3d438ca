-- POST /api/auth/login with a JSON body (API.md endpoint 1). Every
-- successful login verifies the password once (Argon2id, m = 19 MiB, t = 2,
-- p = 1) and creates a session. The credentials come from the environment
-- (bench/run.sh sets them); they must not contain `"` or `\`.
local email = os.getenv("BENCH_EMAIL") or "bench@example.com"
local password = os.getenv("BENCH_PASSWORD") or "Copper-Kite-Lamp-42"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format(
  '{"email":"%s","password":"%s","device_name":"wrk"}', email, password)

dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/report.lua")
