# shellcheck shell=bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the tests:
# the machine's own if it runs, otherwise a private cluster under target/.

PG_HOST=127.0.0.1
PG_PORT=5432

postgres_answers() {
  pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null
}

ensure_postgres() {
  if postgres_answers; then
    return 0
  fi
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bindir" ]; then
    apt_install postgresql
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  # The cluster must not belong to root: PostgreSQL refuses to run as root.
  local owner=postgres
  id "$owner" >/dev/null 2>&1 || as_root useradd --system --no-create-home "$owner"
  local data="$PWD/target/pg-cluster"
  log "starting a private PostgreSQL cluster in $data"
  if [ ! -f "$data/PG_VERSION" ]; then
    as_root mkdir -p "$data"
    as_root chown "$owner" "$data"
    as_root runuser -u "$owner" -- "$bindir/initdb" -D "$data" -U postgres -A trust >/dev/null
  fi
  as_root runuser -u "$owner" -- "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-c listen_addresses=$PG_HOST -p $PG_PORT -k $data" start >/dev/null
  postgres_answers
}

# Test databases are created per test; drop those an earlier run left behind.
drop_old_test_databases() {
  local names
  names=$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -Atc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'gatehouse_test_%'" 2>/dev/null) || return 0
  for name in $names; do
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null
  done
}
