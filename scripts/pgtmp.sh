#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and the demo.
#
#   pgtmp.sh start STATE_DIR [WATCH_PID]   initdb into a fresh temp dir, start on a free
#                                          127.0.0.1 port, write STATE_DIR/{url,port,datadir}
#   pgtmp.sh stop STATE_DIR                stop the cluster and remove its temp dir
#   pgtmp.sh url STATE_DIR                 print the connection URL
#   pgtmp.sh down STATE_DIR                stop the server but keep the cluster (fault tests)
#   pgtmp.sh up STATE_DIR                  start a downed cluster again on the same port
#   pgtmp.sh crash STATE_DIR               kill -9 the server and all its processes (a
#                                          server crash: WAL not yet written is lost;
#                                          `up` then runs crash recovery)
#   pgtmp.sh diskfull STATE_DIR on|off     with PGTMP_PRELOAD=tests' pg_disk_full_shim.so
#                                          set at `start`/`up`: growing a table or index
#                                          fails with ENOSPC (SQLSTATE 53100) while on
#
# `start` also launches a reaper (its own session, so it outlives a killed parent)
# that watches WATCH_PID (default: the caller, e.g. ctest) and, when that process is
# gone, stops the cluster and removes the temp dir. So nothing is left behind even
# when a test run is killed with SIGKILL. As root, initdb and postgres run as the
# `postgres` user (initdb refuses root). fsync settings are left at their defaults.
# Every role is trusted on 127.0.0.1 except PASSWORD_ROLE (below), which must give
# its password, so refused credentials can be tested.
set -euo pipefail

readonly START_ATTEMPTS=5          # ports tried before giving up
readonly PORT_MIN=20000
readonly PORT_SPAN=40000
readonly REAPER_POLL_SECONDS=1
# The one role that must give a password (scram-sha-256) on 127.0.0.1; every other
# role is trusted. Tests create it to show refused credentials (projections tests).
readonly PASSWORD_ROLE=accrue_password_check

die() { echo "pgtmp: $*" >&2; exit 1; }

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql (run 'make deps')"
  echo "$d"
}

# Runs a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop_cluster() {  # DATADIR
  local datadir=$1 bin
  bin=$(pg_bindir)
  if [ -f "$datadir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$datadir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      as_owner "$bin/pg_ctl" -D "$datadir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
  fi
  case "$datadir" in
    /tmp/accrue-pg.*) rm -rf "$datadir" ;;
    *) [ -z "$datadir" ] || echo "pgtmp: not removing unexpected dir '$datadir'" >&2 ;;
  esac
}

cmd_reap() {  # STATE_DIR DATADIR WATCH_PID
  local state=$1 datadir=$2 watch=$3
  while kill -0 "$watch" 2>/dev/null && [ -d "$datadir" ]; do sleep "$REAPER_POLL_SECONDS"; done
  if [ -d "$datadir" ]; then
    echo "pgtmp: process $watch is gone; removing cluster $datadir" >&2
    stop_cluster "$datadir"
    rm -f "$state/url" "$state/port" "$state/datadir" "$state/reaper.pid"
  fi
}

cmd_stop() {  # STATE_DIR
  local state=$1
  [ -d "$state" ] || return 0
  if [ -f "$state/reaper.pid" ]; then kill "$(cat "$state/reaper.pid")" 2>/dev/null || true; fi
  if [ -f "$state/datadir" ]; then stop_cluster "$(cat "$state/datadir")"; fi
  rm -f "$state/url" "$state/port" "$state/datadir" "$state/reaper.pid"
  echo "pgtmp: stopped"
}

cmd_start() {  # STATE_DIR [WATCH_PID]
  local state=$1 watch=${2:-$PPID} bin datadir port attempt
  bin=$(pg_bindir)
  mkdir -p "$state"
  cmd_stop "$state" >/dev/null  # a stale cluster from an earlier, interrupted run
  datadir=$(mktemp -d /tmp/accrue-pg.XXXXXX)
  chmod 755 "$datadir"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user (install the postgresql package: make deps)"
    chown postgres:postgres "$datadir"
  fi
  echo "$datadir" >"$state/datadir"
  # The reaper starts first, so even a failure below leaves nothing behind.
  setsid bash "$0" reap "$state" "$datadir" "$watch" </dev/null >/dev/null 2>&1 &
  echo $! >"$state/reaper.pid"

  if ! as_owner "$bin/initdb" -D "$datadir/data" --username=accrue --auth=trust \
      --encoding=UTF8 --locale=C >"$datadir/initdb.log" 2>&1; then
    cat "$datadir/initdb.log" >&2
    cmd_stop "$state" >/dev/null
    die "initdb failed"
  fi
  # pg_hba.conf is read top down: the password role's line goes first.
  as_owner bash -c 'f=$1/data/pg_hba.conf; { echo "host all $2 127.0.0.1/32 scram-sha-256"; cat "$f"; } >"$f.new" && mv "$f.new" "$f"' \
    _ "$datadir" "$PASSWORD_ROLE" || { cmd_stop "$state" >/dev/null; die "cannot write pg_hba.conf"; }
  for attempt in $(seq 1 "$START_ATTEMPTS"); do
    port=$((PORT_MIN + RANDOM * RANDOM % PORT_SPAN))
    port_in_use "$port" && continue
    if start_server "$datadir" "$port" >/dev/null 2>&1; then
      echo "$port" >"$state/port"
      echo "postgresql://accrue@127.0.0.1:$port/postgres" >"$state/url"
      echo "pgtmp: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $datadir (reaper $(cat "$state/reaper.pid") watches pid $watch)"
      return 0
    fi
    echo "pgtmp: start on port $port failed (attempt $attempt):" >&2
    tail -n 5 "$datadir/server.log" >&2 || true
  done
  cmd_stop "$state" >/dev/null
  die "could not start PostgreSQL after $START_ATTEMPTS attempts"
}

# Starts the server of DATADIR on PORT and waits until it accepts connections. With
# PGTMP_PRELOAD (a shared object, e.g. tests' pg_disk_full_shim.so) the server runs
# with it preloaded; `diskfull` then switches the full disk on and off.
start_server() {  # DATADIR PORT
  local datadir=$1 port=$2
  local -a preload=()
  if [ -n "${PGTMP_PRELOAD:-}" ]; then
    cp "$PGTMP_PRELOAD" "$datadir/preload.so" || die "cannot copy $PGTMP_PRELOAD"
    chmod 755 "$datadir/preload.so"
    preload=(env "LD_PRELOAD=$datadir/preload.so" "ACCRUE_PG_DISK_FULL_FLAG=$datadir/disk-full")
  fi
  as_owner "${preload[@]}" "$(pg_bindir)/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$datadir -c max_connections=200" \
    start
}

cmd_down() {  # STATE_DIR: the server goes away as in an outage; data and port stay
  local datadir
  datadir=$(cat "$1/datadir") || die "no cluster for state dir '$1'"
  as_owner "$(pg_bindir)/pg_ctl" -D "$datadir/data" -m fast -w -t 30 stop >/dev/null
}

cmd_up() {  # STATE_DIR
  local datadir port
  datadir=$(cat "$1/datadir") || die "no cluster for state dir '$1'"
  port=$(cat "$1/port")
  start_server "$datadir" "$port" >/dev/null
}

cmd_crash() {  # STATE_DIR: every server process dies at once, as in a crash
  local datadir pm pids p
  datadir=$(cat "$1/datadir") || die "no cluster for state dir '$1'"
  pm=$(head -n 1 "$datadir/data/postmaster.pid" 2>/dev/null) || die "the server is not running"
  kill -0 "$pm" 2>/dev/null || die "the server is not running"
  # The postmaster and every child in one kill: none is left to clean up or to
  # write the WAL still in shared memory. It is stopped first, so it cannot fork a
  # child (an autovacuum worker) between the listing and the kill; such a child
  # would keep the shared memory and the restart would refuse to start. (Each
  # child is its own session leader, so a process-group kill would miss them.)
  kill -STOP "$pm" 2>/dev/null || true
  pids="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
  kill -9 $pids 2>/dev/null || true
  for p in $pids; do
    for _ in $(seq 1 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$p" 2>/dev/null && die "server process $p survived kill -9"
  done
  return 0
}

cmd_diskfull() {  # STATE_DIR on|off
  local datadir
  datadir=$(cat "$1/datadir") || die "no cluster for state dir '$1'"
  [ -f "$datadir/preload.so" ] || die "the cluster was not started with PGTMP_PRELOAD"
  case "$2" in
    on) as_owner touch "$datadir/disk-full" ;;
    off) rm -f "$datadir/disk-full" ;;
    *) die "usage: pgtmp.sh diskfull STATE_DIR on|off" ;;
  esac
}

case "${1:-}" in
  start) [ $# -ge 2 ] || die "usage: pgtmp.sh start STATE_DIR [WATCH_PID]"; cmd_start "$2" "${3:-$PPID}" ;;
  stop) [ $# -eq 2 ] || die "usage: pgtmp.sh stop STATE_DIR"; cmd_stop "$2" ;;
  url) [ -f "${2:-}/url" ] || die "no cluster running for state dir '${2:-}'"; cat "$2/url" ;;
  reap) cmd_reap "$2" "$3" "$4" ;;
  down) [ $# -eq 2 ] || die "usage: pgtmp.sh down STATE_DIR"; cmd_down "$2" ;;
  up) [ $# -eq 2 ] || die "usage: pgtmp.sh up STATE_DIR"; cmd_up "$2" ;;
  crash) [ $# -eq 2 ] || die "usage: pgtmp.sh crash STATE_DIR"; cmd_crash "$2" ;;
  diskfull) [ $# -eq 3 ] || die "usage: pgtmp.sh diskfull STATE_DIR on|off"; cmd_diskfull "$2" "$3" ;;
  *) die "usage: pgtmp.sh start|stop|url|down|up|crash|diskfull STATE_DIR" ;;
esac
