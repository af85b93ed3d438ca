-- Shared by the bench/*.lua scripts (loaded with dofile). When a wrk run
-- ends, prints one machine-readable line that bench/run.sh parses; wrk's
-- own human-readable summary is printed before it as usual.
--
-- Latencies are in microseconds. `non2xx` counts answers that were not
-- 2xx/3xx (a 401 or 429 would mean the figures are not about the real
-- work), `socket_errors` counts connect/read/write errors and timeouts.
function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%.0f duration_us=%.0f rps=%.2f p50_us=%.0f p90_us=%.0f" ..
    " p99_us=%.0f max_us=%.0f non2xx=%.0f socket_errors=%.0f\n",
    summary.requests, summary.duration, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
