#!/usr/bin/env bash
# Benchmarks a release build of Gatehouse on PostgreSQL over loopback with
# wrk: (a) the time of one password hash and login throughput at
# concurrency 4 against the hash-bound limit, (b) GET /api/auth/me against
# GET /healthz at concurrency 32, (c) /me p99 during a login storm, (d) the
# server's peak RSS during (b), (e) the server render of the /login page at
# concurrency 32, (f) sign-ins by other accounts while one account floods
# password changes. Prints a Markdown table and adds it at the
# top of docs/BENCHMARKS.md. See bench/README.md.
#
#   bench/run.sh               builds only if target/release/server is missing
#   bench/run.sh --build       runs `cargo leptos build --release --split` first
#   bench/run.sh --only flood  only the hash time of (a) and section (f)
#   bench/run.sh --only me     only (b) and (d): /healthz, /me and the RSS
#   bench/run.sh --jwt EdDSA   access tokens signed with EdDSA (or ES256;
#                              HS256 by default), recorded in the section
#
# Benchmarks never fail on time: the exit status is 0 whether the targets
# are met or missed, and non-zero only when the run itself went wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=scripts/lib/setup.sh
source scripts/lib/setup.sh
# shellcheck source=scripts/lib/postgres.sh
source scripts/lib/postgres.sh

build=""
only=""
jwt_algorithm=HS256
usage="usage: bench/run.sh [--build] [--only flood|me] [--jwt HS256|EdDSA|ES256]"
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=1 ;;
    --only)
      case "${2:-}" in
        flood | me) only=$2 ;;
        *) echo "$usage" >&2; exit 64 ;;
      esac
      shift
      ;;
    --jwt)
      case "${2:-}" in
        HS256 | EdDSA | ES256) jwt_algorithm=$2 ;;
        *) echo "$usage" >&2; exit 64 ;;
      esac
      shift
      ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$usage" >&2; exit 64 ;;
  esac
  shift
done

# Settings (the environment variables are for trying the script out, e.g.
# BENCH_DURATION=3; recorded results use the defaults).
seconds=${BENCH_DURATION:-20}
addr=${BENCH_ADDR:-127.0.0.1:3200}
docs=${BENCH_DOCS:-$repo/docs/BENCHMARKS.md}
server_bin=${BENCH_SERVER_BIN:-$repo/target/release/server}
seq_count=20                                  # sequential logins for the hash time
base="http://$addr"
pg_base="postgres://postgres@$PG_HOST:$PG_PORT"
email=bench@example.com
username=bench
password=Copper-Kite-Lamp-42                  # policy-compliant; must not contain "bench"
# The per-IP limit (default 60 a minute on /api/auth/*) would stop a
# single-IP benchmark within a second; 1 000 000 000 is the highest value the
# configuration accepts.
rate_limit=1000000000
others=16                                     # accounts signing in during the flood (f)
flood_connections=64                          # wrk connections of the flood (f)
# (f) runs with a real per-IP limit, far above the default 60 a minute: 50
# requests/s of two hashes each ask for about the whole hash-bound rate, so
# the hashing queue is contended, while the flood's other requests are
# refused by the limiter instead of taking the cores by their sheer number
# (a single-IP flood at a billion a minute measures wrk, not the hasher).
# The others sign in from a new address each time, which this limit never
# touches.
flood_rate_limit=3000
# Each flood connection waits this long between requests (an open flood of
# about 64 × 1000 / 300 ≈ 200 requests/s, 400 hashes asked for, five times
# the hash-bound rate). 0 makes a closed loop that re-sends the instant a
# refusal returns: that floods the HTTP stack of a 2-core machine shared
# with wrk (~9,500 refusals/s), which measures the cores, not the hasher.
flood_delay_ms=${BENCH_FLOOD_DELAY_MS:-300}

cores=$(nproc)
threads=$((cores < 4 ? cores : 4))            # wrk threads for /healthz and /me
stamp=$(date -u +%Y%m%d-%H%M%S)
out_rel=target/bench/$stamp                   # raw output, kept after the run
out=$repo/$out_rel
results=$out/results.txt
db_name=""
server_pid=""
sampler_pid=""
storm_pid=""
flood_pid=""

# ---------------------------------------------------------------- cleanup

stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT
  if [ -n "$sampler_pid" ]; then stop_pid "$sampler_pid"; fi
  if [ -n "$storm_pid" ]; then stop_pid "$storm_pid"; fi
  if [ -n "$flood_pid" ]; then stop_pid "$flood_pid"; fi
  if [ -n "$server_pid" ]; then stop_pid "$server_pid"; fi
  rm -f "$out/run/.env" "$out/token" "$out/flood-token"
  if [ -n "$db_name" ]; then
    psql "$pg_base/postgres" -qc "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null 2>&1 ||
      log "could not drop the database $db_name; drop it by hand"
  fi
  if [ "$status" -ne 0 ]; then
    log "benchmark aborted (status $status); output so far in $out_rel"
    if [ -s "$out/server.log" ]; then
      echo "last lines of the server log:" >&2
      tail -n 20 "$out/server.log" >&2
    fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers

record() { printf '%s=%s\n' "$1" "$2" >>"$results"; }

fail() {
  echo "bench/run.sh: $*" >&2
  exit 1
}

clk_tck=$(getconf CLK_TCK)

# utime + stime of one process (all its threads), in clock ticks.
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# utime + stime of every PostgreSQL process on the machine, in clock ticks.
postgres_ticks() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } |
    awk '$2 == "(postgres)" { t += $14 + $15 } END { print t + 0 }'
}

# Whole machine: busy ticks, all ticks, stolen ticks (from /proc/stat).
machine_ticks() { awk '/^cpu / { print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9, $9 }' /proc/stat; }

now() { date +%s.%N; }

# cpu_begin / cpu_end NAME: CPU used by the server, by PostgreSQL and by the
# whole machine between the two calls, recorded under NAME_*.
cpu_begin() {
  cpu_t0=$(now)
  cpu_s0=$(proc_ticks "$server_pid")
  cpu_p0=$(postgres_ticks)
  read -r cpu_mb0 cpu_mt0 cpu_ms0 < <(machine_ticks)
}

cpu_end() {
  local name=$1 t1 s1 p1 mb1 mt1 ms1
  t1=$(now)
  s1=$(proc_ticks "$server_pid")
  p1=$(postgres_ticks)
  read -r mb1 mt1 ms1 < <(machine_ticks)
  record "${name}_wall_s" "$(awk -v a="$cpu_t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
  record "${name}_server_cpu_s" "$(awk -v a="$cpu_s0" -v b="$s1" -v hz="$clk_tck" 'BEGIN { printf "%.3f", (b - a) / hz }')"
  record "${name}_postgres_cpu_s" "$(awk -v a="$cpu_p0" -v b="$p1" -v hz="$clk_tck" 'BEGIN { printf "%.3f", (b - a) / hz }')"
  record "${name}_machine_busy_pct" "$(awk -v a="$cpu_mb0" -v b="$mb1" -v t0="$cpu_mt0" -v t1="$mt1" 'BEGIN { printf "%.1f", (t1 > t0 ? 100 * (b - a) / (t1 - t0) : 0) }')"
  record "${name}_steal_pct" "$(awk -v a="$cpu_ms0" -v b="$ms1" -v t0="$cpu_mt0" -v t1="$mt1" 'BEGIN { printf "%.1f", (t1 > t0 ? 100 * (b - a) / (t1 - t0) : 0) }')"
}

# run_wrk NAME SCRIPT PATH THREADS CONNECTIONS SECONDS: one wrk run; its
# output stays in $out/NAME.txt and its figures are recorded as NAME_*
# (requests, duration_us, rps, p50_us, p90_us, p99_us, max_us, non2xx,
# socket_errors; see bench/report.lua).
run_wrk() {
  local name=$1 script=$2 path=$3 threads=$4 connections=$5 duration=$6 line pair rps="" non2xx=""
  BENCH_LUA_DIR=$repo/bench BENCH_TOKEN_FILE=$out/token BENCH_EMAIL=$email BENCH_PASSWORD=$password \
    BENCH_FLOOD_TOKEN_FILE=$out/flood-token BENCH_OTHERS=$others BENCH_FLOOD_DELAY_MS=$flood_delay_ms \
    wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s --latency \
    -s "$repo/bench/$script" "$base$path" >"$out/$name.txt" 2>&1
  line=$(grep '^BENCH ' "$out/$name.txt" | tail -n 1) || fail "wrk ($name) printed no figures; see $out_rel/$name.txt"
  for pair in ${line#BENCH }; do
    record "${name}_${pair%%=*}" "${pair#*=}"
    case ${pair%%=*} in
      rps) rps=${pair#*=} ;;
      non2xx) non2xx=${pair#*=} ;;
    esac
  done
  log "$name: $rps requests/s," \
    "p50 $(awk '$1 == "50%" { print $2 }' "$out/$name.txt"), p99 $(awk '$1 == "99%" { print $2 }' "$out/$name.txt")," \
    "$non2xx non-2xx answers"
}

# sequential NAME CURL_ARGS...: 3 warm-up requests, then $seq_count more
# one after the other; every answer must be 2xx. Records NAME_median_ms of
# curl's time_total over the measured ones.
sequential() {
  local name=$1
  shift
  for _ in $(seq 1 $((seq_count + 3))); do
    curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' "$@"
  done >"$out/$name.txt"
  if awk '$1 !~ /^2/ { bad = 1 } END { exit !bad }' "$out/$name.txt"; then
    fail "$name: a request was refused; see $out_rel/$name.txt"
  fi
  record "${name}_median_ms" "$(awk 'NR > 3 { print $2 }' "$out/$name.txt" | sort -g |
    awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f", m * 1000 }')"
}

# vm_kib PID FIELD: a VmRSS/VmHWM line of /proc/PID/status, in KiB.
vm_kib() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }

sample_rss() {
  while [ -r "/proc/$1/status" ]; do
    vm_kib "$1" VmRSS 2>/dev/null || break
    sleep 0.2
  done
}

# ---------------------------------------------------------------- prerequisites

command -v wrk >/dev/null || apt_install wrk
if ! command -v psql >/dev/null || ! command -v pg_isready >/dev/null; then
  apt_install postgresql-client
fi
for tool in curl openssl python3 awk; do
  command -v "$tool" >/dev/null || fail "needs $tool"
done

if [ -z "${BENCH_SERVER_BIN:-}" ] && { [ -n "$build" ] || [ ! -x "$server_bin" ] || [ ! -d target/site/pkg ]; }; then
  ensure_wasm_target
  ensure_cargo_leptos
  ensure_wasm_bindgen
  apt_install binaryen
  log "cargo leptos build --release --split"
  cargo leptos build --release --split
fi
[ -x "$server_bin" ] || fail "no server binary at $server_bin"
newer=$(find app server migration Cargo.toml Cargo.lock -newer "$server_bin" -type f \
  \( -name '*.rs' -o -name 'Cargo.*' \) -print -quit 2>/dev/null || true)
if [ -n "$newer" ]; then
  log "warning: $newer is newer than the server binary; bench/run.sh --build benchmarks the current code"
fi

if curl -s -o /dev/null --max-time 2 "$base/healthz"; then
  fail "something already answers on $addr; stop it or set BENCH_ADDR"
fi

ensure_postgres
mkdir -p "$out/run"
: >"$results"

# ---------------------------------------------------------------- what and where

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit (with uncommitted changes)"
fi
record date "$(date -u '+%Y-%m-%d %H:%M UTC')"
record nproc "$cores"
record cpu_model "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo | tr -s ' ' || true)"
record kernel "$(uname -r)"
record commit "$commit"
record server_built "$(date -u -r "$server_bin" '+%Y-%m-%d %H:%M UTC')"
record wrk_version "$(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }' || true)"
record postgres_version "$(psql "$pg_base/postgres" -Atc 'SHOW server_version' | awk '{ print $1 }')"
record seconds "$seconds"
record threads "$threads"
record seq_count "$seq_count"
record only "${only:-all}"
record jwt_algorithm "$jwt_algorithm"
record others "$others"
record flood_connections "$flood_connections"

# Load already on the machine (a build, tests) makes every figure low.
read -r busy0 total0 _ < <(machine_ticks)
sleep 2
read -r busy1 total1 _ < <(machine_ticks)
background=$(awk -v a="$busy0" -v b="$busy1" -v t0="$total0" -v t1="$total1" \
  'BEGIN { printf "%.0f", (t1 > t0 ? 100 * (b - a) / (t1 - t0) : 0) }')
record background_busy_pct "$background"
if [ "$background" -gt 10 ]; then
  log "warning: the machine is already $background % busy before the benchmark; the figures will be low"
fi

# ---------------------------------------------------------------- database and server

db_name="gatehouse_bench_$(date -u +%Y%m%d_%H%M%S)_$$"
log "creating the database $db_name"
psql "$pg_base/postgres" -qc "CREATE DATABASE \"$db_name\"" >/dev/null

# The server runs in its own folder with a clean environment: the whole
# configuration is in a .env file there (mode 0600, deleted at the end), so
# the secrets never appear on a command line and neither the caller's
# environment nor a .env in the repository changes the run.
umask_before=$(umask)
umask 077
cat >"$out/run/.env" <<EOF
ENVIRONMENT=production
JWT_SECRET_KEY='$(openssl rand -base64 48 | tr -d '\n')'
DATABASE_ENCRYPTION_KEY='$(openssl rand -base64 32 | tr -d '\n')'
DATABASE_URL='$pg_base/$db_name'
DATA_DIR='$out/run/data'
LEPTOS_SITE_ADDR=$addr
PUBLIC_URL=https://auth.example.com
LEPTOS_SITE_ROOT='$repo/target/site'
RATE_LIMIT_PER_MINUTE=$([ "$only" = flood ] && echo "$flood_rate_limit" || echo "$rate_limit")
JWT_ALGORITHM=$jwt_algorithm
RATE_LIMIT_SIGNED_IN_PER_MINUTE=$rate_limit
RATE_LIMIT_SIGNED_IN_IP_PER_MINUTE=$rate_limit
TRUSTED_PROXIES=127.0.0.1/32
ACCESS_TOKEN_EXPIRE_MINUTES=60
RUST_LOG=warn
EOF
umask "$umask_before"

start_server() {
  log "starting $server_bin on $addr"
  (cd "$out/run" && exec env -i PATH="$PATH" HOME="$HOME" "$server_bin") >>"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null --max-time 2 "$base/readyz" 2>/dev/null; then
      break
    fi
    kill -0 "$server_pid" 2>/dev/null || fail "the server stopped during start; see $out_rel/server.log"
    sleep 0.5
  done
  curl -fsS -o /dev/null --max-time 2 "$base/readyz" || fail "the server is not ready after 60 s"
}
start_server

# ---------------------------------------------------------------- user and token

json='Content-Type: application/json'
login_body="{\"email\":\"$email\",\"password\":\"$password\",\"device_name\":\"bench\"}"

code=$(curl -sS -o "$out/register.json" -w '%{http_code}' -H "$json" \
  -d "{\"email\":\"$email\",\"username\":\"$username\",\"password\":\"$password\"}" \
  "$base/api/auth/register")
[ "$code" = 201 ] || fail "register answered $code: $(cat "$out/register.json")"

code=$(curl -sS -o "$out/login.json" -w '%{http_code}' -H "$json" -d "$login_body" "$base/api/auth/login")
[ "$code" = 200 ] || fail "login answered $code: $(cat "$out/login.json")"
(
  umask 077
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' <"$out/login.json" >"$out/token"
)
rm -f "$out/login.json"
auth="Authorization: Bearer $(cat "$out/token")"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "$auth" "$base/api/auth/me")
[ "$code" = 200 ] || fail "GET /api/auth/me with the new token answered $code"

# The other accounts sign in during the login runs of (a), (c) and (f), one
# request after another from a new address: a server holds at most 2
# hashes in flight per account and 4 per address, so one account from one
# address could not keep 4 (or 8) logins in flight.
log "registering $others other accounts and the flooding account of (f)"
register() {
  local code
  code=$(curl -sS -o "$out/register-$2.json" -w '%{http_code}' -H "$json" \
    -d "{\"email\":\"$1\",\"username\":\"$2\",\"password\":\"$password\"}" \
    "$base/api/auth/register")
  [ "$code" = 201 ] || fail "register $1 answered $code: $(cat "$out/register-$2.json")"
}
register flood@example.com flooder
for n in $(seq 1 "$others"); do register "other$n@example.com" "other$n"; done
code=$(curl -sS -o "$out/flood-login.json" -w '%{http_code}' -H "$json" \
  -d "{\"email\":\"flood@example.com\",\"password\":\"$password\"}" "$base/api/auth/login")
[ "$code" = 200 ] || fail "login of the flooding account answered $code"
(
  umask 077
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' \
    <"$out/flood-login.json" >"$out/flood-token"
)
rm -f "$out/flood-login.json"

# ---------------------------------------------------------------- (a) hash time

log "(a) $seq_count sequential logins (each verifies one Argon2id hash, m=19 MiB t=2 p=1)"
sequential login_seq -H "$json" -d "$login_body" "$base/api/auth/login"
sequential me_seq -H "$auth" "$base/api/auth/me"
sleep 1

if [ "$only" != flood ]; then

# ---------------------------------------------------------------- (b) and (d)
# Run before the login load so that the RSS figures are about serving
# requests, not about the Argon2 blocks of concurrent logins.

log "(b) /healthz and /me at concurrency 32, $seconds s each; (d) sampling the server's RSS"
record rss_before_kib "$(vm_kib "$server_pid" VmRSS)"
# Writing 5 to clear_refs resets VmHWM (the peak RSS) to the current RSS,
# so VmHWM read after (b) is the peak during (b).
if (echo 5 >"/proc/$server_pid/clear_refs") 2>/dev/null; then hwm_reset=1; else hwm_reset=""; fi
sample_rss "$server_pid" >"$out/rss-kib.txt" &
sampler_pid=$!

cpu_begin
run_wrk healthz get.lua /healthz "$threads" 32 "$seconds"
cpu_end healthz
sleep 1
cpu_begin
run_wrk me me.lua /api/auth/me "$threads" 32 "$seconds"
cpu_end me

stop_pid "$sampler_pid"
sampler_pid=""
sampled_max=$(sort -n "$out/rss-kib.txt" | tail -n 1)
record rss_sampled_max_kib "${sampled_max:-0}"
if [ -n "$hwm_reset" ]; then
  peak=$(vm_kib "$server_pid" VmHWM)
  [ "$peak" -ge "${sampled_max:-0}" ] || peak=$sampled_max
  record rss_peak_kib "$peak"
  record rss_peak_source "VmHWM, reset just before (b)"
else
  record rss_peak_kib "${sampled_max:-0}"
  record rss_peak_source "largest VmRSS sample; VmHWM could not be reset"
fi
sleep 2
fi

if [ -z "$only" ]; then

# ---------------------------------------------------------------- (e) page render

log "(e) GET /login (server-rendered page) at concurrency 32, $seconds s"
cpu_begin
run_wrk login_page get.lua /login "$threads" 32 "$seconds"
cpu_end login_page
sleep 1

# ---------------------------------------------------------------- (a) login throughput

log "(a) logins at concurrency 4 for $seconds s"
cpu_begin
run_wrk login others.lua /api/auth/login 1 4 "$seconds"
cpu_end login
sleep 2

# ---------------------------------------------------------------- (c) /me under a login storm

log "(c) /me at concurrency 32 for $seconds s during a login storm (8 connections)"
run_wrk storm_login others.lua /api/auth/login 1 8 $((seconds + 4)) &
storm_pid=$!
sleep 2
cpu_begin
run_wrk storm_me me.lua /api/auth/me "$threads" 32 "$seconds"
cpu_end storm_me
wait "$storm_pid"
storm_pid=""

record rss_hwm_end_kib "$(vm_kib "$server_pid" VmHWM)"

log "(f) restarting the server with RATE_LIMIT_PER_MINUTE=$flood_rate_limit"
stop_pid "$server_pid"
sed -i "s/^RATE_LIMIT_PER_MINUTE=.*/RATE_LIMIT_PER_MINUTE=$flood_rate_limit/" "$out/run/.env"
start_server
fi

if [ "$only" != me ]; then
record flood_rate_limit "$flood_rate_limit"
record flood_delay_ms "$flood_delay_ms"

# ---------------------------------------------------------------- (f) sign-ins during a flood
# One account floods POST /api/auth/change-password from one address while
# $others other accounts sign in at concurrency 4, each request from its own
# address (X-Forwarded-For through the trusted loopback proxy). The others'
# sign-ins/s are compared with the hash-bound limit of (a).


log "(f) the others alone: logins at concurrency 4 for $seconds s"
cpu_begin
run_wrk others_alone others.lua /api/auth/login 1 4 "$seconds"
cpu_end others_alone
sleep 2

log "(f) the others at concurrency 4 for $seconds s while one account floods password changes ($flood_connections connections)"
run_wrk flood flood.lua /api/auth/change-password 1 "$flood_connections" $((seconds + 6)) &
flood_pid=$!
# The limiter's first minute allows a burst of $flood_rate_limit; measure after it.
sleep 4
cpu_begin
run_wrk flood_others others.lua /api/auth/login 1 4 "$seconds"
cpu_end flood_others
wait "$flood_pid"
flood_pid=""
fi

# ---------------------------------------------------------------- report

stop_pid "$server_pid"
server_pid=""
python3 "$repo/bench/report.py" "$results" "$docs" "$out_rel"
log "raw output: $out_rel"
