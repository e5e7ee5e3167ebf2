# Sourced by scripts/test: throwaway PostgreSQL and Redis servers on private ports of 127.0.0.1,
# in a temporary folder, stopped (and the folder removed) when the sourcing shell exits.
# Exports BILDGEN_TEST_PG_URL (a superuser URL; tests create their own databases) and
# BILDGEN_TEST_REDIS_URL.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing_packages() {
  # Each argument is "command-or-path-pattern:debian-package"; installs the packages whose file is missing.
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || compgen -G "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing ${missing[*]} with apt" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

print_versions() {
  # What this run is made of, so that a red run on another machine says what differed.
  echo "Versions: $(python --version 2>&1); $(/usr/bin/chromium --version 2>/dev/null | head -1);" \
    "PostgreSQL $("$_pg_bin/postgres" --version | awk '{print $3}'); $(redis-server --version | awk '{print $1, $2, $3}');" \
    "$(nginx -v 2>&1); Playwright $(python -c 'import importlib.metadata as m; print(m.version("playwright"))');" \
    "Reflex $(python -c 'import importlib.metadata as m; print(m.version("reflex"))'); $(uname -srm)"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a PostgreSQL tool as an unprivileged user: initdb and postgres refuse to run as root.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_test_databases() {
  if [ -n "${_pg_dir:-}" ] && [ -f "$_pg_dir/data/postmaster.pid" ]; then
    as_postgres "$_pg_bin/pg_ctl" -D "$_pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -n "${_redis_pidfile:-}" ] && [ -f "$_redis_pidfile" ]; then
    local redis_pid
    redis_pid="$(cat "$_redis_pidfile")"
    kill "$redis_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  [ -n "${_services_dir:-}" ] && rm -rf "$_services_dir"
  return 0
}

start_test_databases() {
  install_missing_packages "/usr/lib/postgresql/*/bin/initdb:postgresql" "redis-server:redis-server"
  _pg_bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
  _services_dir="$(mktemp -d /tmp/bildgen-test-services.XXXXXX)"
  trap stop_test_databases EXIT
  trap 'exit 130' INT TERM # exit through the EXIT trap: nothing keeps running
  chmod 755 "$_services_dir"
  _pg_dir="$_services_dir/postgresql"
  mkdir -p "$_pg_dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$_pg_dir"

  local pg_port redis_port
  pg_port="$(free_port)"
  as_postgres "$_pg_bin/initdb" -D "$_pg_dir/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
  # Durability buys nothing for a throwaway test server; skipping fsync makes CREATE DATABASE fast.
  # A time zone far from UTC (+14 h): a time stamp that depends on the server's zone fails the tests.
  as_postgres "$_pg_bin/pg_ctl" -D "$_pg_dir/data" -l "$_pg_dir/server.log" -w -s \
    -o "-p $pg_port -k $_pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c timezone=Pacific/Kiritimati" \
    start
  export BILDGEN_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$pg_port/postgres"

  redis_port="$(free_port)"
  _redis_pidfile="$_services_dir/redis.pid"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$_services_dir" \
    --daemonize yes --pidfile "$_redis_pidfile" --logfile "$_services_dir/redis.log"
  export BILDGEN_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
  for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "Redis did not start; see $_services_dir/redis.log" >&2
  return 1
}
