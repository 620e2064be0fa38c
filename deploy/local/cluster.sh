#!/usr/bin/env bash
# Local Readiness cluster on 127.0.0.1: one PostgreSQL, two silos, one web node.
#   deploy/local/cluster.sh up       build, start everything, wait until ready, print the addresses
#   deploy/local/cluster.sh down     stop the web node, the silos and PostgreSQL (data is kept)
#   deploy/local/cluster.sh status   what runs, and whether it is ready
#   deploy/local/cluster.sh reset    down, then delete the data folder
# Environment (all optional): READINESS_CLUSTER_DATA (default <repo>/.data/cluster), CONFIGURATION (Debug),
# PG_PORT (55432), WEB_PORT (8080), SILO1_HTTP/SILO1_PORT/SILO1_GATEWAY (8081/11111/30000),
# SILO2_HTTP/SILO2_PORT/SILO2_GATEWAY (8082/11112/30001), CLUSTER_ID (local), PG_BIN (newest /usr/lib/postgresql/*/bin).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA=${READINESS_CLUSTER_DATA:-$ROOT/.data/cluster}
CONFIGURATION=${CONFIGURATION:-Debug}
PG_PORT=${PG_PORT:-55432}
WEB_PORT=${WEB_PORT:-8080}
SILO1_HTTP=${SILO1_HTTP:-8081}; SILO1_PORT=${SILO1_PORT:-11111}; SILO1_GATEWAY=${SILO1_GATEWAY:-30000}
SILO2_HTTP=${SILO2_HTTP:-8082}; SILO2_PORT=${SILO2_PORT:-11112}; SILO2_GATEWAY=${SILO2_GATEWAY:-30001}
CLUSTER_ID=${CLUSTER_ID:-local}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PGDATA="$DATA/postgres"
RUN="$DATA/run"
LOGS="$DATA/logs"
CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Username=readiness;Database=readiness"
SILO_DLL="$ROOT/silo/Readiness.Silo/bin/$CONFIGURATION/net10.0/Readiness.Silo.dll"
WEB_DLL="$ROOT/web/Readiness.Web/bin/$CONFIGURATION/net10.0/Readiness.Web.dll"

# initdb and pg_ctl refuse to run as root: run them as the postgres user, which then owns the data folder.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_running() { [ -f "$PGDATA/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

pid_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true; }

wait_http() { # name url seconds
  local deadline=$((SECONDS + $3))
  until [ "$(http_code "$2")" = "200" ]; do
    if [ $SECONDS -ge $deadline ]; then echo "  $1 not ready after $3 s; see $LOGS/$1.log" >&2; return 1; fi
    if [ -n "${4:-}" ] && ! pid_alive "$4"; then echo "  $1 exited; see $LOGS/$1.log" >&2; tail -n 20 "$LOGS/$1.log" >&2; return 1; fi
    sleep 1
  done
}

start_postgres() {
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql-15)" >&2; exit 1; }
  mkdir -p "$PGDATA" "$RUN" "$LOGS"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PGDATA" "$LOGS"; chmod 700 "$PGDATA"; fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    echo "Creating PostgreSQL data in $PGDATA"
    # Trust on loopback only: a developer's local cluster, listening on 127.0.0.1 alone.
    as_pg "$PG_BIN/initdb" -D "$PGDATA" -U readiness --auth=trust -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log"
  fi
  if ! pg_running; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w -t 60 \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PGDATA -c max_connections=200" start >/dev/null
  fi
  if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U readiness -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='readiness'" | grep -q 1; then
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U readiness readiness
  fi
}

start_node() { # name dll env...
  local name=$1 dll=$2; shift 2
  if pid_alive "$name"; then return; fi
  # Appended, with a line marking each start: a node restarted after a crash keeps the log of how it ended.
  echo "=== $name started $(date -u +%FT%TZ)" >>"$LOGS/$name.log"
  # exec: the recorded pid is the node itself; its own session and no inherited output keep it apart from this shell.
  # Idle thread-pool workers do not spin (DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0): three .NET nodes and
  # PostgreSQL share this machine's cores, and a perf profile at 600 changes/s found a quarter of them spent spinning
  # (docs/performance.md, fifth round).
  ( cd "$(dirname "$dll")" && exec env DOTNET_ThreadPool_UnfairSemaphoreSpinLimit="${DOTNET_ThreadPool_UnfairSemaphoreSpinLimit:-0}" "$@" \
      Readiness__Mode=Cluster "Readiness__ConnectionString=$CONNECTION" \
      "Readiness__ClusterId=$CLUSTER_ID" Logging__LogLevel__Polly=Warning Logging__LogLevel__Microsoft.AspNetCore=Warning \
      setsid dotnet "$dll" </dev/null >>"$LOGS/$name.log" 2>&1 ) &
  echo $! >"$RUN/$name.pid"
}

stop_node() { # name
  pid_alive "$1" || { rm -f "$RUN/$1.pid"; return 0; }
  local pid; pid=$(cat "$RUN/$1.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then echo "  $1 did not stop in 30 s; killing it" >&2; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$RUN/$1.pid"
  echo "  stopped $1"
}

up() {
  echo "Building silo and web ($CONFIGURATION)"
  dotnet build "$ROOT/silo/Readiness.Silo/Readiness.Silo.csproj" -c "$CONFIGURATION" -v quiet -nologo >/dev/null
  dotnet build "$ROOT/web/Readiness.Web/Readiness.Web.csproj" -c "$CONFIGURATION" -v quiet -nologo >/dev/null
  start_postgres
  echo "Applying the schema"
  dotnet "$SILO_DLL" migrate "--Readiness:ConnectionString=$CONNECTION" | tail -n 1
  start_node silo1 "$SILO_DLL" "ASPNETCORE_URLS=http://127.0.0.1:$SILO1_HTTP" "Readiness__SiloPort=$SILO1_PORT" "Readiness__GatewayPort=$SILO1_GATEWAY"
  start_node silo2 "$SILO_DLL" "ASPNETCORE_URLS=http://127.0.0.1:$SILO2_HTTP" "Readiness__SiloPort=$SILO2_PORT" "Readiness__GatewayPort=$SILO2_GATEWAY" "Readiness__WarmUp=false"
  wait_http silo1 "http://127.0.0.1:$SILO1_HTTP/health/live" 120 silo1
  wait_http silo2 "http://127.0.0.1:$SILO2_HTTP/health/live" 120 silo2
  start_node web "$WEB_DLL" "ASPNETCORE_URLS=http://127.0.0.1:$WEB_PORT"
  echo "Waiting for the nation (a fresh database loads 1,741 municipalities from the public baseline)"
  wait_http web "http://127.0.0.1:$WEB_PORT/health/ready" 240 web
  status
}

down() {
  stop_node web
  stop_node silo2
  stop_node silo1
  if pg_running; then as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null; echo "  stopped postgres"; fi
}

status() {
  echo "Readiness local cluster (data: $DATA)"
  if pg_running; then echo "  postgres  running   127.0.0.1:$PG_PORT  $CONNECTION"; else echo "  postgres  stopped"; fi
  local name http what
  for entry in "silo1|$SILO1_HTTP|silo $SILO1_PORT, gateway $SILO1_GATEWAY" "silo2|$SILO2_HTTP|silo $SILO2_PORT, gateway $SILO2_GATEWAY" \
               "web|$WEB_PORT|API http://127.0.0.1:$WEB_PORT/api/v1/nation"; do
    IFS='|' read -r name http what <<<"$entry"
    if pid_alive "$name"; then
      printf '  %-8s  running   http://127.0.0.1:%s  ready=%s  (%s)\n' "$name" "$http" "$(http_code "http://127.0.0.1:$http/health/ready")" "$what"
    else
      printf '  %-8s  stopped\n' "$name"
    fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  reset) down; rm -rf "$DATA"; echo "  removed $DATA" ;;
  *) echo "usage: $0 up|down|status|reset" >&2; exit 2 ;;
esac
