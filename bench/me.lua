-- GET /api/auth/me (API.md endpoint 5) with `Authorization: Bearer <token>`.
-- The access token comes from BENCH_TOKEN, or else from the file named by
-- BENCH_TOKEN_FILE (bench/run.sh writes one after logging in).
local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then
  local path = os.getenv("BENCH_TOKEN_FILE")
  local file = path and io.open(path, "r")
  if not file then
    error("me.lua: set BENCH_TOKEN, or BENCH_TOKEN_FILE to a readable file")
  end
  token = file:read("*l")
  file:close()
end
if token == nil or token == "" then
  error("me.lua: the access token is empty")
end

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token

dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/report.lua")
