#!/usr/bin/env python3
"""Turns the figures bench/run.sh collected into a Markdown section: prints
it and adds it at the top of docs/BENCHMARKS.md (older sections are kept).

    bench/report.py RESULTS DOCS RAW_DIR

RESULTS holds `key=value` lines written by bench/run.sh. Benchmarks never
fail on time: a missed target is reported as "miss" and the exit status
stays 0.
"""

import sys
from pathlib import Path

DOCS_HEADER = """# Benchmarks

Results of `bench/run.sh` (what it measures and how to run it:
`bench/README.md`). Each run adds a section at the top; older sections are
kept. The server, PostgreSQL and the load generator (wrk) share the same
machine and talk over loopback, so absolute figures are conservative: on a
2-core machine wrk takes CPU time the server would otherwise have. The
per-IP rate limit is raised for the run (`RATE_LIMIT_PER_MINUTE=1000000000`),
since all the load comes from one IP.

When a target is missed, the section says what limits it. The script writes
a first diagnosis from the CPU shares it measured; whoever runs it should
check it and correct it if needed.

"""

TARGET_LOGIN_FRACTION = 0.8
TARGET_ME_RATIO = 1 / 3
TARGET_STORM_RATIO = 3.0
TARGET_RSS_MIB = 64.0
TARGET_FLOOD_FRACTION = 0.8


def load(path):
    values = {}
    for line in Path(path).read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


class Figures:
    def __init__(self, values):
        self.values = values

    def text(self, key, default="unknown"):
        return self.values.get(key, default) or default

    def num(self, key, default=0.0):
        try:
            return float(self.values[key])
        except (KeyError, ValueError):
            return default

    def ok_rps(self, run):
        """Requests/s that got a 2xx/3xx answer."""
        seconds = self.num(f"{run}_duration_us") / 1e6
        ok = self.num(f"{run}_requests") - self.num(f"{run}_non2xx")
        return ok / seconds if seconds > 0 else 0.0

    def cpu_us_per_request(self, run, who):
        requests = self.num(f"{run}_requests")
        cpu = self.num(f"{run}_{who}_cpu_s")
        return cpu * 1e6 / requests if requests > 0 else 0.0

    def cpu_pct(self, run, who):
        wall = self.num(f"{run}_wall_s")
        return 100 * self.num(f"{run}_{who}_cpu_s") / wall if wall > 0 else 0.0


def div(a, b):
    return a / b if b else 0.0


def ms(us):
    value = us / 1000
    if value < 10:
        return f"{value:.2f} ms"
    if value < 100:
        return f"{value:.1f} ms"
    return f"{value:.0f} ms"


def rate(value):
    return f"{value:,.0f}".replace(",", " ") if value >= 100 else f"{value:.1f}"


def verdict(passed):
    return "pass" if passed else "**miss**"


def flood_figures(f):
    """(f): the others' sign-ins/s during the flood against the hash-bound
    limit of (a) (cores ÷ the sequential login time)."""
    cores = int(f.num("nproc", 1))
    limit = div(cores, f.num("login_seq_median_ms") / 1000)
    others = f.ok_rps("flood_others")
    alone = f.ok_rps("others_alone")
    fraction = div(others, limit)
    rows = [
        f"| (f) other accounts' logins/s at concurrency 4, alone (p50 / p99) | {alone:.1f}"
        f" ({ms(f.num('others_alone_p50_us'))} / {ms(f.num('others_alone_p99_us'))}) | | |",
        f"| (f) the same while one account floods `POST /api/auth/change-password`"
        f" (p50 / p99) | {others:.1f}"
        f" ({ms(f.num('flood_others_p50_us'))} / {ms(f.num('flood_others_p99_us'))}) | | |",
        f"| (f) the flood: answers/s, all refused (p50 / p99) | {rate(f.ok_rps('flood') + div(f.num('flood_non2xx'), f.num('flood_duration_us') / 1e6))}"
        f" ({ms(f.num('flood_p50_us'))} / {ms(f.num('flood_p99_us'))}) | | |",
        f"| (f) others' logins/s during the flood ÷ hash-bound limit ({limit:.1f}/s) | {fraction:.2f}"
        f" | ≥ 0.8 | {verdict(fraction >= TARGET_FLOOD_FRACTION)} |",
    ]
    details = [
        f"- (f) {f.text('flood_connections', '64')} connections flooded password changes for one"
        f" account from one address, each waiting {f.text('flood_delay_ms', '0')} ms between requests"
        " (0: a closed loop) (each request two Argon2id verifications, answered 400"
        " `password_reused`, or refused at once: 429 `rate_limited` past the per-IP limit,"
        f" here RATE_LIMIT_PER_MINUTE={f.text('flood_rate_limit', '3000')}, 429 `hashing_busy`"
        " past the account's 2 hashes in flight, 503 `overloaded` when the queue is full);"
        f" {f.text('others', '16')} other accounts signed in from changing addresses. Others"
        f" during the flood ÷ others alone: {div(others, alone):.2f}.",
        cpu_line(f, "flood_others", "(f) others' logins during the flood"),
    ]
    limit_line = None
    if fraction < TARGET_FLOOD_FRACTION:
        limit_line = (
            f"- (f) the others reached {fraction:.2f} of the hash-bound limit during the flood"
            f" ({div(others, alone):.2f} of their rate alone); the machine was"
            f" {f.num('flood_others_machine_busy_pct'):.0f} % busy and the server used"
            f" {f.cpu_pct('flood_others', 'server'):.0f} % of one core: the refused flood"
            " requests, wrk and PostgreSQL share the cores with the hashes."
        )
    return rows, details, limit_line, fraction >= TARGET_FLOOD_FRACTION


def cpu_line(f, run, label):
    return (
        f"  - {label}: server {f.cpu_pct(run, 'server'):.0f} % of one core,"
        f" PostgreSQL {f.cpu_pct(run, 'postgres'):.0f} %,"
        f" whole machine {f.num(f'{run}_machine_busy_pct'):.0f} % busy"
        + (f" ({f.num(f'{run}_steal_pct'):.0f} % stolen by the hypervisor)"
           if f.num(f"{run}_steal_pct") >= 2 else "")
    )


def header_lines(f):
    cores = int(f.num("nproc", 1))
    background_load = f.num("background_busy_pct") > 10
    return [
        f"## {f.text('date')} — {cores} × {f.text('cpu_model')}, commit {f.text('commit')}",
        "",
        f"- Machine: `nproc` = {cores}, {f.text('cpu_model')}, Linux {f.text('kernel')};"
        f" {f.num('background_busy_pct'):.0f} % busy just before the run"
        + (" (**other load was running: every figure is low**)." if background_load else "."),
        f"- Gatehouse: release build of commit `{f.text('commit')}`"
        f" (binary built {f.text('server_built')}), `ENVIRONMENT=production`,"
        f" `JWT_ALGORITHM={f.text('jwt_algorithm', 'HS256')}`,"
        f" PostgreSQL {f.text('postgres_version')} on 127.0.0.1 (fresh database).",
    ]


def build_me_section(f, raw_dir):
    """`bench/run.sh --only me`: (b) /healthz and /me, and (d) the RSS."""
    healthz = f.ok_rps("healthz")
    me = f.ok_rps("me")
    rss_mib = f.num("rss_peak_kib") / 1024
    passed = {"b": div(me, healthz) >= TARGET_ME_RATIO, "d": 0 < rss_mib < TARGET_RSS_MIB}
    errors = int(f.num("me_non2xx")) + int(f.num("me_socket_errors"))
    lines = header_lines(f) + [
        f"- Only sections (b) and (d) (`bench/run.sh --only me"
        f" --jwt {f.text('jwt_algorithm', 'HS256')}`): {f.text('wrk_version')}, loopback,"
        f" {f.text('seconds')} s per run, {f.text('threads')} wrk threads;"
        " client, server and database share the cores.",
        "",
        "| figure | value | target | result |",
        "|---|---|---|---|",
        f"| (b) `GET /healthz` at concurrency 32: requests/s (p50 / p99) | {rate(healthz)}"
        f" ({ms(f.num('healthz_p50_us'))} / {ms(f.num('healthz_p99_us'))}) | | |",
        f"| (b) `GET /api/auth/me` at concurrency 32: requests/s (p50 / p99) | {rate(me)}"
        f" ({ms(f.num('me_p50_us'))} / {ms(f.num('me_p99_us'))}) | | |",
        f"| (b) /me requests/s ÷ /healthz requests/s | {div(me, healthz):.2f} | ≥ 1/3 | {verdict(passed['b'])} |",
        f"| (d) peak RSS of the server during (b) | {rss_mib:.1f} MiB | < 64 MiB | {verdict(passed['d'])} |",
        "",
        "Details:",
        "",
        f"- Server CPU time per request: /healthz {f.cpu_us_per_request('healthz', 'server'):.0f} µs,"
        f" /me {f.cpu_us_per_request('me', 'server'):.0f} µs"
        f" (plus {f.cpu_us_per_request('me', 'postgres'):.0f} µs in PostgreSQL).",
        "- CPU use during each run (100 % = one core; the machine figure is of all cores):",
        cpu_line(f, "healthz", "(b) /healthz"),
        cpu_line(f, "me", "(b) /me"),
        f"- Median sequential `GET /api/auth/me`: {f.num('me_seq_median_ms'):.2f} ms.",
        f"- Errors on /me: {errors} non-2xx answers or socket errors.",
        f"- Raw wrk output and the server log: `{raw_dir}` (not kept in git).",
    ]
    return "\n".join(lines) + "\n", passed


def build_flood_section(f, raw_dir):
    """`bench/run.sh --only flood`: the hash time of (a) and section (f)."""
    cores = int(f.num("nproc", 1))
    hash_ms = f.num("login_seq_median_ms")
    rows, details, limit_line, passed = flood_figures(f)
    lines = header_lines(f) + [
        f"- Only section (f) (`bench/run.sh --only flood`): {f.text('seconds')} s per run,"
        " 1 wrk thread each; client, server and database share the cores.",
        "",
        "| figure | value | target | result |",
        "|---|---|---|---|",
        f"| (a) one password hash (median of {f.text('seq_count', '20')} sequential logins) | {hash_ms:.1f} ms | | |",
        f"| (a) hash-bound limit ({cores} cores ÷ hash time) | {div(cores, hash_ms / 1000):.1f} logins/s | | |",
        *rows,
        "",
        "Details:",
        "",
        *details,
        f"- Raw wrk output and the server log: `{raw_dir}` (not kept in git).",
    ]
    if limit_line:
        lines += ["", "What limits the missed target (first diagnosis by the script; check it):", "", limit_line]
    return "\n".join(lines) + "\n", {"f": passed}


def build_section(f, raw_dir):
    if f.text("only", "all") == "flood":
        return build_flood_section(f, raw_dir)
    if f.text("only", "all") == "me":
        return build_me_section(f, raw_dir)
    cores = int(f.num("nproc", 1))

    # (a) hash time and login throughput.
    hash_ms = f.num("login_seq_median_ms")
    me_seq_ms = f.num("me_seq_median_ms")
    limit = div(cores, hash_ms / 1000)
    logins = f.ok_rps("login")
    fraction = div(logins, limit)
    net_hash_ms = hash_ms - me_seq_ms
    strict_fraction = div(logins, div(cores, net_hash_ms / 1000)) if net_hash_ms > 0 else 0.0

    # (b) /healthz against /me.
    healthz = f.ok_rps("healthz")
    me = f.ok_rps("me")
    me_ratio = div(me, healthz)

    # (c) /me p99 under a login storm against idle.
    idle_p99 = f.num("me_p99_us")
    storm_p99 = f.num("storm_me_p99_us")
    storm_ratio = div(storm_p99, idle_p99)

    # (d) peak RSS during (b).
    rss_mib = f.num("rss_peak_kib") / 1024

    flood_rows, flood_details, flood_limit, flood_passed = flood_figures(f)
    passed = {
        "f": flood_passed,
        "a": fraction >= TARGET_LOGIN_FRACTION,
        "b": me_ratio >= TARGET_ME_RATIO,
        "c": storm_p99 > 0 and storm_ratio <= TARGET_STORM_RATIO,
        "d": 0 < rss_mib < TARGET_RSS_MIB,
    }

    seq_count = f.text("seq_count", "20")
    background_load = f.num("background_busy_pct") > 10
    lines = [
        f"## {f.text('date')} — {cores} × {f.text('cpu_model')}, commit {f.text('commit')}",
        "",
        f"- Machine: `nproc` = {cores}, {f.text('cpu_model')}, Linux {f.text('kernel')};"
        f" {f.num('background_busy_pct'):.0f} % busy just before the run"
        + (" (**other load was running: every figure is low**)." if background_load else "."),
        f"- Gatehouse: release build of commit `{f.text('commit')}`"
        f" (binary built {f.text('server_built')}), `ENVIRONMENT=production`,"
        f" PostgreSQL {f.text('postgres_version')} on 127.0.0.1 (fresh database).",
        f"- Load: {f.text('wrk_version')}, loopback, {f.text('seconds')} s per run,"
        f" {f.text('threads')} wrk threads for /healthz and /me, 1 for logins;"
        " client, server and database share the cores.",
        "",
        "| figure | value | target | result |",
        "|---|---|---|---|",
        f"| (a) one password hash (median of {seq_count} sequential logins) | {hash_ms:.1f} ms | | |",
        f"| (a) hash-bound limit ({cores} cores ÷ hash time) | {limit:.1f} logins/s | | |",
        f"| (a) logins/s at concurrency 4 (p50 / p99) | {logins:.1f}"
        f" ({ms(f.num('login_p50_us'))} / {ms(f.num('login_p99_us'))}) | | |",
        f"| (a) login throughput ÷ hash-bound limit | {fraction:.2f} | ≥ 0.8 | {verdict(passed['a'])} |",
        f"| (b) `GET /healthz` at concurrency 32: requests/s (p50 / p99) | {rate(healthz)}"
        f" ({ms(f.num('healthz_p50_us'))} / {ms(f.num('healthz_p99_us'))}) | | |",
        f"| (b) `GET /api/auth/me` at concurrency 32: requests/s (p50 / p99) | {rate(me)}"
        f" ({ms(f.num('me_p50_us'))} / {ms(f.num('me_p99_us'))}) | | |",
        f"| (b) /me requests/s ÷ /healthz requests/s | {me_ratio:.2f} | ≥ 1/3 | {verdict(passed['b'])} |",
        f"| (c) /me p99 during a login storm (idle p99 from (b)) | {ms(storm_p99)} ({ms(idle_p99)}) | | |",
        f"| (c) storm p99 ÷ idle p99 | {storm_ratio:.2f}× | ≤ 3× | {verdict(passed['c'])} |",
        f"| (d) peak RSS of the server during (b) | {rss_mib:.1f} MiB | < 64 MiB | {verdict(passed['d'])} |",
        f"| (e) `GET /login` (server render) at concurrency 32: requests/s (p50 / p99) |"
        f" {rate(f.ok_rps('login_page'))}"
        f" ({ms(f.num('login_page_p50_us'))} / {ms(f.num('login_page_p99_us'))}) | | |",
        *flood_rows,
        "",
        "Details:",
        "",
    ]

    def cpu_line(run, label):
        return (
            f"  - {label}: server {f.cpu_pct(run, 'server'):.0f} % of one core,"
            f" PostgreSQL {f.cpu_pct(run, 'postgres'):.0f} %,"
            f" whole machine {f.num(f'{run}_machine_busy_pct'):.0f} % busy"
            + (f" ({f.num(f'{run}_steal_pct'):.0f} % stolen by the hypervisor)"
               if f.num(f"{run}_steal_pct") >= 2 else "")
        )

    lines += [
        f"- Server CPU time per request: /healthz {f.cpu_us_per_request('healthz', 'server'):.0f} µs,"
        f" /me {f.cpu_us_per_request('me', 'server'):.0f} µs"
        f" (plus {f.cpu_us_per_request('me', 'postgres'):.0f} µs in PostgreSQL);"
        f" the /login page {f.cpu_us_per_request('login_page', 'server'):.0f} µs;"
        f" a login {f.cpu_us_per_request('login', 'server') / 1000:.1f} ms"
        f" (plus {f.cpu_us_per_request('login', 'postgres') / 1000:.1f} ms in PostgreSQL).",
        "- CPU use during each run (100 % = one core; the machine figure is of all cores):",
        cpu_line("login", "(a) logins"),
        cpu_line("healthz", "(b) /healthz"),
        cpu_line("me", "(b) /me"),
        cpu_line("storm_me", "(c) /me with the login storm"),
        cpu_line("login_page", "(e) /login page render"),
        f"- Median sequential `GET /api/auth/me`: {me_seq_ms:.2f} ms. Taking it as the"
        f" non-hash part of a login, the hash alone is about {net_hash_ms:.1f} ms and the"
        f" stricter fraction is {strict_fraction:.2f}"
        " (the table's definition counts the whole sequential login as hash time).",
        f"- During the storm: {f.ok_rps('storm_login'):.1f} logins/s (8 connections) and"
        f" {rate(f.ok_rps('storm_me'))} /me requests/s"
        f" (p50 {ms(f.num('storm_me_p50_us'))}), against {rate(me)} /me requests/s idle.",
        f"- RSS: {f.num('rss_before_kib') / 1024:.1f} MiB before (b); peak during (b)"
        f" {rss_mib:.1f} MiB ({f.text('rss_peak_source')}); largest 0.2 s sample during (b)"
        f" {f.num('rss_sampled_max_kib') / 1024:.1f} MiB. Peak from (b) to the end,"
        f" login runs included: {f.num('rss_hwm_end_kib') / 1024:.1f} MiB (a login"
        f" holds one 19 MiB Argon2 block while it hashes, at most {cores} at once).",
        *flood_details,
    ]

    errors = []
    for run, label in [
        ("login", "(a) logins"),
        ("healthz", "(b) /healthz"),
        ("me", "(b) /me"),
        ("storm_login", "(c) storm logins"),
        ("storm_me", "(c) /me"),
        ("login_page", "(e) /login page"),
        ("others_alone", "(f) others alone"),
        ("flood_others", "(f) others during the flood"),
    ]:
        non2xx = int(f.num(f"{run}_non2xx"))
        socket = int(f.num(f"{run}_socket_errors"))
        if non2xx or socket:
            errors.append(f"{label}: {non2xx} non-2xx answers, {socket} socket errors/timeouts")
    lines.append(
        "- Errors: " + ("; ".join(errors) + " (requests/s above count only 2xx answers)"
                        if errors else "none (every answer was 2xx).")
    )
    lines.append(f"- Raw wrk output and the server log: `{raw_dir}` (not kept in git).")

    # A first diagnosis for each missed target, from the measured CPU shares.
    limits = []
    if not passed["a"]:
        limits.append(
            f"- (a) {logins:.1f} logins/s is {fraction:.2f} of the {limit:.1f}/s limit."
            f" During the run the machine was {f.num('login_machine_busy_pct'):.0f} % busy and the"
            f" server used {f.cpu_pct('login', 'server'):.0f} % of one core (the limit needs"
            f" {cores * 100} %). Besides the hashes, each login costs"
            f" {f.cpu_us_per_request('login', 'postgres') / 1000:.1f} ms of PostgreSQL CPU"
            " (user lookup, session and audit rows), and wrk runs on the same cores."
        )
    if not passed["b"]:
        limits.append(
            f"- (b) /me reached {me_ratio:.2f} of /healthz. /me costs"
            f" {f.cpu_us_per_request('me', 'server'):.0f} µs of server CPU per request against"
            f" {f.cpu_us_per_request('healthz', 'server'):.0f} µs for /healthz (JWT check,"
            " session lookup, rate-limit check, JSON), plus"
            f" {f.cpu_us_per_request('me', 'postgres'):.0f} µs in PostgreSQL; the machine was"
            f" {f.num('me_machine_busy_pct'):.0f} % busy."
        )
    if not passed["c"]:
        limits.append(
            f"- (c) /me p99 rose {storm_ratio:.2f}× under the storm. The machine was"
            f" {f.num('storm_me_machine_busy_pct'):.0f} % busy: the hashes (at most {cores} at"
            " once) take the cores the /me requests and PostgreSQL need."
        )
    if not passed["d"]:
        limits.append(
            f"- (d) peak RSS during (b) was {rss_mib:.1f} MiB (before (b):"
            f" {f.num('rss_before_kib') / 1024:.1f} MiB); the allocator may keep"
            " Argon2 blocks from earlier logins."
        )
    if flood_limit:
        limits.append(flood_limit)
    if limits and background_load:
        limits.append(
            f"- The machine was already {f.num('background_busy_pct'):.0f} % busy before the"
            " run (other work on the same cores); run again on an idle machine first."
        )
    if limits:
        lines += ["", "What limits the missed targets (first diagnosis by the script; check it):", ""]
        lines += limits

    return "\n".join(lines) + "\n", passed


def update_docs(docs, section):
    docs = Path(docs)
    text = docs.read_text() if docs.exists() else DOCS_HEADER
    lines = text.splitlines(keepends=True)
    # The newest section goes before the first existing one.
    at = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    head = "".join(lines[:at])
    if head and not head.endswith("\n\n"):
        head = head.rstrip("\n") + "\n\n"
    rest = "".join(lines[at:])
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text(head + section + ("\n" + rest if rest else ""))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    results, docs, raw_dir = sys.argv[1:]
    section, passed = build_section(Figures(load(results)), raw_dir)
    print(section)
    update_docs(docs, section)
    missed = [name for name, ok in passed.items() if not ok]
    print(f"Written to {docs}." + (f" Missed: {', '.join(missed)}." if missed else " All targets met."))


if __name__ == "__main__":
    main()
