# shellcheck shell=bash
# The integration tests append one line per scenario, `test name<TAB>backend
# <TAB>milliseconds`, to $GATEHOUSE_TEST_TIMES when it is set
# (server/tests/api/test_times.rs). Sourced by scripts/check.

GATEHOUSE_TEST_TIMES="$PWD/target/test-times.tsv"
export GATEHOUSE_TEST_TIMES

# Starts a fresh record for this run.
reset_test_times() {
  mkdir -p "$(dirname "$GATEHOUSE_TEST_TIMES")"
  : >"$GATEHOUSE_TEST_TIMES"
}

# Prints the $1 slowest scenarios, slowest first. A test that starts several
# applications counts once, with its longest.
print_slowest_tests() {
  local count=$1
  [ -s "$GATEHOUSE_TEST_TIMES" ] || return 0
  log "the $count slowest integration scenarios"
  awk -F'\t' '{ key = $2 FS $1; if ($3 + 0 > max[key] + 0) max[key] = $3 }
    END { for (key in max) print max[key] FS key }' "$GATEHOUSE_TEST_TIMES" |
    sort -t "$(printf '\t')" -k1,1nr |
    awk -F'\t' -v count="$count" 'NR <= count { printf "  %6.1f s  %-8s %s\n", $1 / 1000, $2, $3 }' >&2
}
