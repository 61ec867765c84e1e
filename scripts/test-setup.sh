#!/usr/bin/env bash
# What `npm test` needs, brought up before the suite runs (npm's `pretest`; .ci/run runs
# `npm test`, so CI takes this same path):
#   - the PostgreSQL (5432), MariaDB (3306) and Redis (6379) servers on 127.0.0.1: started when
#     installed but stopped;
#   - Debian's Chromium (the HTML report is checked in a real browser) and Debian's AWS CLI
#     (the README's commands are run with it): installed with apt-get when running as root.
# What cannot be done here stops the run at once with the one command that fixes it.
# REKEY_TEST_SETUP=skip skips it all (for a machine prepared another way); REKEY_TEST_CHROMIUM
# and REKEY_TEST_AWS_CLI name other paths to check (the set-up's own test uses them).
set -uo pipefail

[ "${REKEY_TEST_SETUP:-}" = skip ] && exit 0

log() { printf '[test-setup] %s\n' "$*" >&2; }
fail() { log "$1"; log "then run npm test again."; exit 1; }
as_root() { [ "$(id -u)" = 0 ]; }

wait_for() { # name, probe command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then log "$name answers"; return 0; fi
    sleep 1
  done
  log "$name does not answer"; return 1
}

ensure_postgres() {
  pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && return 0
  command -v pg_ctlcluster >/dev/null || fail "PostgreSQL is not installed. Install it: sudo apt-get install -y postgresql"
  local version
  version=$(ls /etc/postgresql 2>/dev/null | head -1)
  [ -n "$version" ] || fail "PostgreSQL has no cluster. Create one: sudo pg_createcluster --start 15 main"
  as_root || fail "PostgreSQL is stopped. Start it: sudo pg_ctlcluster $version main start"
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  wait_for PostgreSQL pg_isready -h 127.0.0.1 -p 5432 || fail "PostgreSQL did not start: see /var/log/postgresql/"
}

ensure_mariadb() {
  mariadb-admin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1 && return 0
  [ -x /usr/sbin/mariadbd ] || fail "MariaDB is not installed. Install it: sudo apt-get install -y mariadb-server"
  as_root || fail "MariaDB is stopped. Start it: sudo service mariadb start"
  log "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 || true
  wait_for MariaDB mariadb-admin -h 127.0.0.1 -P 3306 -uroot ping || fail "MariaDB did not start"
}

ensure_redis() {
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return 0
  command -v redis-server >/dev/null || fail "Redis is not installed. Install it: sudo apt-get install -y redis-server"
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
  wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping || fail "Redis did not start"
}

# Debian packages: installed when root (waiting for another apt to finish), else the command.
ensure_package() { # package, file it provides
  [ -x "$2" ] && return 0
  as_root || fail "$2 is missing. Install it: sudo apt-get install -y $1"
  log "installing Debian's $1"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get -o DPkg::Lock::Timeout=300 update -qq &&
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$1"; } >/dev/null 2>&1
  [ -x "$2" ] || fail "apt-get could not install $1. Install it: apt-get install -y $1"
}

ensure_postgres
ensure_mariadb
ensure_redis
ensure_package chromium "${REKEY_TEST_CHROMIUM:-/usr/bin/chromium}"
ensure_package awscli "${REKEY_TEST_AWS_CLI:-/usr/bin/aws}"
exit 0
