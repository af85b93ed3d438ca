-- Plain GET of the URL given to wrk (used for /healthz).
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/report.lua")
