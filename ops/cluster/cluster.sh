#!/usr/bin/env bash
# A rehearsal of the production topology on this machine (docs/scaling.md):
# a PostgreSQL primary and a streaming replica made with pg_basebackup,
# PgBouncer in transaction mode in front of the primary, a broker Redis
# (noeviction) and a cache Redis (allkeys-lru), two gunicorn servers, a Celery
# worker and beat, and a fake SMS gateway (ops/cluster/gateway.py). Everything
# lives under var/cluster/; `stop` ends exactly the processes `start` recorded there.
#
#   ops/cluster/cluster.sh start      # (make cluster) prints the URLs
#   ops/cluster/cluster.sh stop       # (make cluster-stop)
#   ops/cluster/cluster.sh status
#   ops/cluster/cluster.sh env        # the environment the app processes run with
#   ops/cluster/cluster.sh up NAME    # start one part again (the drills: make drill)
#   ops/cluster/cluster.sh down NAME  # stop one part: web1 web2 worker beat broker
#                                     # cache primary replica pgbouncer gateway
#   ops/cluster/cluster.sh start-db   # only primary, replica and PgBouncer (CI)
#
# Run as root: PostgreSQL's and PgBouncer's programs run as the postgres user.
# Ports (none of them the usual ones) can be moved with the CLUSTER_* variables.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$ROOT/var/cluster"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
# Below 32768: ports in Linux's ephemeral range (32768-60999) are handed out
# to outgoing connections, and a server that starts after a load run could
# find its port taken by one of them ("Address already in use").
PRIMARY_PORT="${CLUSTER_PRIMARY_PORT:-25432}"
REPLICA_PORT="${CLUSTER_REPLICA_PORT:-25433}"
BOUNCER_PORT="${CLUSTER_PGBOUNCER_PORT:-26432}"
BROKER_PORT="${CLUSTER_BROKER_PORT:-26379}"
CACHE_PORT="${CLUSTER_CACHE_PORT:-26380}"
WEB_PORTS=("${CLUSTER_WEB1_PORT:-28001}" "${CLUSTER_WEB2_PORT:-28002}")
WEB_WORKERS="${CLUSTER_WEB_WORKERS:-2}"
GATEWAY_PORT="${CLUSTER_SMS_GATEWAY_PORT:-27001}"
DB_NAME=ashyq
VENV="$ROOT/.venv/bin"

log() { printf '\n== %s\n' "$*"; }
as_postgres() { runuser -u postgres -- "$@"; }

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "make cluster runs PostgreSQL and PgBouncer as the postgres user: run it as root." >&2
        exit 2
    fi
}

install_missing() {
    local missing=()
    [ -x "$PG_BIN/pg_basebackup" ] || missing+=(postgresql-15)
    command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]} from Debian"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    fi
    [ -x "$VENV/gunicorn" ] || { echo "no $VENV/gunicorn: run make test (or make run) once first" >&2; exit 2; }
}

write_env() {
    # The app processes' environment: through PgBouncer to the primary, the
    # replica directly, one Redis per role. PgBouncer 1.18 cannot keep
    # prepared statements in transaction mode, hence DATABASE_PREPARED_STATEMENTS=0.
    # SMS go to the fake gateway, as production's go to a real one. The
    # servers stand behind a (notional) proxy: the drills give each phone its
    # own X-Forwarded-For, so the per-client sign-in limits count phones.
    # Written on every start (the secret kept), so a rehearsal made by an older
    # version of this script gets the current configuration.
    local secret
    secret="$(sed -n 's/^SECRET_KEY=//p' "$STATE/env" 2>/dev/null || true)"
    [ -n "$secret" ] || secret="cluster-rehearsal-$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n')"
    cat >"$STATE/env" <<EOF
DEBUG=0
SECRET_KEY=$secret
ALLOWED_HOSTS=127.0.0.1,localhost
SITE_URL=http://127.0.0.1:${WEB_PORTS[0]}
SECURE_SSL_REDIRECT=0
ALLOW_UNVERIFIED_IIN_CLAIMS=1
TRUSTED_PROXY_COUNT=1
SMS_BACKEND=http
SMS_HTTP_URL=http://127.0.0.1:$GATEWAY_PORT/sms
SMS_HTTP_TIMEOUT=5
LOG_LEVEL=INFO
DATABASE_URL=postgres://postgres@127.0.0.1:$BOUNCER_PORT/$DB_NAME
DATABASE_PREPARED_STATEMENTS=0
DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/$DB_NAME
REDIS_BROKER_URL=redis://127.0.0.1:$BROKER_PORT/0
REDIS_CACHE_URL=redis://127.0.0.1:$CACHE_PORT/0
EOF
}

with_env() {
    # Only the cluster's configuration: nothing from the caller's REDIS_URL or DATABASE_URL.
    env -u REDIS_URL -u REDIS_BROKER_URL -u REDIS_CACHE_URL -u DATABASE_URL \
        -u DATABASE_REPLICA_URL -u DATABASE_PREPARED_STATEMENTS \
        $(grep -v '^#' "$STATE/env" | xargs) "$@"
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1"; }

start_primary() {
    local data="$STATE/pg-primary"
    if [ ! -f "$data/PG_VERSION" ]; then
        log "PostgreSQL primary: initdb on port $PRIMARY_PORT"
        install -d -o postgres -g postgres -m 700 "$data"
        as_postgres "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$STATE/run'
wal_level = replica
max_wal_senders = 5
wal_keep_size = 256MB
max_connections = 100
EOF
    fi
    log "PostgreSQL primary on $PRIMARY_PORT"
    # The port on the command line too: a data directory made with other ports
    # (CLUSTER_PRIMARY_PORT, an older checkout) follows the ones set now.
    pg_ready "$PRIMARY_PORT" || as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$STATE/log/pg-primary.log" \
        -o "-p $PRIMARY_PORT" -w start >/dev/null
    if ! as_postgres psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" postgres | grep -q 1; then
        as_postgres psql -q -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -c "CREATE DATABASE $DB_NAME" postgres
    fi
}

migrate() {
    # Straight to the primary: migrations take locks a transaction pooler would split.
    log "migrate and demo data (directly on the primary)"
    with_env DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DB_NAME" \
        "$VENV/python" "$ROOT/manage.py" migrate --noinput -v 0
    with_env DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DB_NAME" \
        "$VENV/python" "$ROOT/manage.py" demo_data >"$STATE/log/demo_data.log" 2>&1
    with_env "$VENV/python" "$ROOT/manage.py" collectstatic --noinput -v 0
}

start_replica() {
    local data="$STATE/pg-replica"
    if [ ! -f "$data/PG_VERSION" ]; then
        log "PostgreSQL replica: pg_basebackup of the primary"
        install -d -o postgres -g postgres -m 700 "$data"
        as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
            -D "$data" -R -X stream -c fast
        cat >>"$data/postgresql.conf" <<EOF
port = $REPLICA_PORT
hot_standby = on
hot_standby_feedback = on
EOF
    fi
    log "PostgreSQL replica on $REPLICA_PORT"
    pg_ready "$REPLICA_PORT" || as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$STATE/log/pg-replica.log" \
        -o "-p $REPLICA_PORT -c primary_conninfo='host=127.0.0.1 port=$PRIMARY_PORT user=postgres'" \
        -w start >/dev/null
}

start_pgbouncer() {
    local dir="$STATE/pgbouncer"
    install -d -o postgres -g postgres "$dir"
    cat >"$dir/pgbouncer.ini" <<EOF
[databases]
$DB_NAME = host=127.0.0.1 port=$PRIMARY_PORT dbname=$DB_NAME
; Any other database of the primary under its own name: CI's test databases.
* = host=127.0.0.1 port=$PRIMARY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
; After a primary restart, try the server again within a second, not the default 15 s.
server_login_retry = 1
logfile = $STATE/log/pgbouncer.log
pidfile = $STATE/run/pgbouncer.pid
EOF
    echo '"postgres" ""' >"$dir/userlist.txt"
    chown postgres:postgres "$dir/pgbouncer.ini" "$dir/userlist.txt"
    log "PgBouncer (transaction mode) on $BOUNCER_PORT"
    if ! pid_alive "$STATE/run/pgbouncer.pid"; then
        as_postgres pgbouncer -d "$dir/pgbouncer.ini"
    fi
}

start_redis() {
    local name=$1 port=$2
    shift 2
    install -d "$STATE/redis-$name"
    log "Redis $name on $port ($*)"
    if ! pid_alive "$STATE/run/redis-$name.pid"; then
        redis-server --bind 127.0.0.1 --port "$port" --dir "$STATE/redis-$name" \
            --daemonize yes --pidfile "$STATE/run/redis-$name.pid" \
            --logfile "$STATE/log/redis-$name.log" "$@"
    fi
    # A daemonized redis-server returns before it listens, and gives up
    # silently when the port is taken.
    for _ in $(seq 1 50); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "Redis $name does not answer on $port; see $STATE/log/redis-$name.log" >&2
    return 1
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for_http() {
    local url=$1
    for _ in $(seq 1 60); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        sleep 0.5
    done
    echo "no answer from $url; see $STATE/log/" >&2
    return 1
}

start_web() {
    local n=$1 port=${WEB_PORTS[$(($1 - 1))]}
    log "gunicorn $n on $port ($WEB_WORKERS workers)"
    if ! pid_alive "$STATE/run/web$n.pid"; then
        (cd "$ROOT" && with_env HOST=127.0.0.1 PORT="$port" WEB_CONCURRENCY="$WEB_WORKERS" \
            "$VENV/gunicorn" -c gunicorn.conf.py ashyq.wsgi --daemon --no-control-socket \
            --pid "$STATE/run/web$n.pid" --error-logfile "$STATE/log/web$n.log" --capture-output)
    fi
}

start_celery() {
    local role=$1
    shift
    log "Celery $role (started again whenever it exits)"
    # A supervising loop, as systemd's Restart=always is in production: a
    # worker can die of its own accord (kombu 5.7 exits with "Unrecoverable
    # error" when the broker goes away at the wrong moment), and queued SMS
    # would wait for a person to notice. In the background rather than
    # --detach, so that the log lines (the project's logging) reach the file.
    if ! pid_alive "$STATE/run/$role-supervisor.pid"; then
        (
            cd "$ROOT"
            child=""
            trap '[ -z "$child" ] || { kill -TERM "$child" 2>/dev/null; wait "$child"; }; exit 0' TERM
            while :; do
                env $(grep -v '^#' "$STATE/env" | xargs) "$VENV/celery" -A ashyq "$role" -l info "$@" \
                    --pidfile "$STATE/run/$role.pid" &
                child=$!
                wait "$child" || true
                echo "supervisor: celery $role exited; starting it again in 1 s"
                sleep 1
            done
        ) </dev/null >>"$STATE/log/$role.log" 2>&1 &
        echo $! >"$STATE/run/$role-supervisor.pid"
    fi
}

start_gateway() {
    log "fake SMS gateway on $GATEWAY_PORT (var/cluster/gateway.jsonl)"
    if ! pid_alive "$STATE/run/gateway.pid"; then
        "$VENV/python" "$ROOT/ops/cluster/gateway.py" "$GATEWAY_PORT" "$STATE/gateway.jsonl" \
            </dev/null >>"$STATE/log/gateway.log" 2>&1 &
        echo $! >"$STATE/run/gateway.pid"
    fi
}

start_app() {
    start_gateway
    start_web 1
    start_web 2
    start_celery worker --concurrency 2
    start_celery beat --schedule "$STATE/celerybeat-schedule"
    for port in "${WEB_PORTS[@]}"; do
        wait_for_http "http://127.0.0.1:$port/healthz"
    done
}

prepare_state() {
    need_root
    install_missing
    install -d "$STATE" "$STATE/log"
    install -d -o postgres -g postgres "$STATE/run"
    chown postgres:postgres "$STATE/log"
    write_env
}

start_broker() { start_redis broker "$BROKER_PORT" --maxmemory-policy noeviction --appendonly yes; }

start_cache() {
    start_redis cache "$CACHE_PORT" --maxmemory 64mb --maxmemory-policy allkeys-lru \
        --save "" --appendonly no
}

start() {
    prepare_state
    start_broker
    start_cache
    start_primary
    migrate
    start_replica
    start_pgbouncer
    start_app
    cat <<EOF

The rehearsal is up (state and logs in var/cluster/):
  portal          http://127.0.0.1:${WEB_PORTS[0]}/  and  http://127.0.0.1:${WEB_PORTS[1]}/
  health          http://127.0.0.1:${WEB_PORTS[0]}/healthz
  primary         postgres://postgres@127.0.0.1:$PRIMARY_PORT/$DB_NAME
  via PgBouncer   postgres://postgres@127.0.0.1:$BOUNCER_PORT/$DB_NAME   (transaction mode)
  replica         postgres://postgres@127.0.0.1:$REPLICA_PORT/$DB_NAME   (streaming, read-only)
  broker Redis    redis://127.0.0.1:$BROKER_PORT/0   (noeviction, AOF)
  cache Redis     redis://127.0.0.1:$CACHE_PORT/0   (allkeys-lru, 64 MB)
  SMS gateway     http://127.0.0.1:$GATEWAY_PORT/sms   (fake; deliveries in var/cluster/gateway.jsonl)
Try it: make cluster-smoke. Stop it: make cluster-stop.
EOF
}

stop_pid() {
    local name=$1 file=$2
    if pid_alive "$file"; then
        local pid
        pid="$(cat "$file")"
        echo "stopping $name ($pid)"
        kill -TERM "$pid"
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "$name did not stop in 30 s; killing it"
            kill -KILL "$pid"
        fi
    fi
    rm -f "$file"
}

stop_postgres() {
    local role=$1 mode=${2:-fast}
    if [ -f "$STATE/pg-$role/postmaster.pid" ]; then
        echo "stopping PostgreSQL $role ($mode)"
        as_postgres "$PG_BIN/pg_ctl" -D "$STATE/pg-$role" -m "$mode" -w stop >/dev/null || true
    fi
}

stop() {
    need_root
    [ -d "$STATE" ] || { echo "nothing to stop: no $STATE"; return 0; }
    for role in beat worker; do
        stop_pid "$role supervisor" "$STATE/run/$role-supervisor.pid"
        stop_pid "$role" "$STATE/run/$role.pid"
    done
    for n in 1 2; do stop_pid "gunicorn $n" "$STATE/run/web$n.pid"; done
    stop_pid "SMS gateway" "$STATE/run/gateway.pid"
    stop_pid "cache Redis" "$STATE/run/redis-cache.pid"
    stop_pid "broker Redis" "$STATE/run/redis-broker.pid"
    stop_pid PgBouncer "$STATE/run/pgbouncer.pid"
    stop_postgres replica
    stop_postgres primary
    echo "stopped; the data stays in var/cluster/ (rm -rf var/cluster for a fresh start)"
}

up() {
    need_root
    case "${1:-}" in
        web1 | web2) start_web "${1#web}" && wait_for_http "http://127.0.0.1:${WEB_PORTS[$((${1#web} - 1))]}/healthz" ;;
        worker) start_celery worker --concurrency 2 ;;
        beat) start_celery beat --schedule "$STATE/celerybeat-schedule" ;;
        broker) start_broker ;;
        cache) start_cache ;;
        primary) start_primary ;;
        replica) start_replica ;;
        pgbouncer) start_pgbouncer ;;
        gateway) start_gateway ;;
        *) echo "up what? web1 web2 worker beat broker cache primary replica pgbouncer gateway" >&2; exit 2 ;;
    esac
}

down() {
    need_root
    case "${1:-}" in
        web1 | web2) stop_pid "gunicorn ${1#web}" "$STATE/run/$1.pid" ;;
        worker | beat)
            stop_pid "$1 supervisor" "$STATE/run/$1-supervisor.pid"
            stop_pid "$1" "$STATE/run/$1.pid"
            ;;
        gateway) stop_pid "$1" "$STATE/run/$1.pid" ;;
        broker | cache) stop_pid "$1 Redis" "$STATE/run/redis-$1.pid" ;;
        pgbouncer) stop_pid PgBouncer "$STATE/run/pgbouncer.pid" ;;
        # A crash, not a shutdown: the primary comes back through recovery.
        primary) stop_postgres primary immediate ;;
        replica) stop_postgres replica fast ;;
        *) echo "down what? web1 web2 worker beat broker cache primary replica pgbouncer gateway" >&2; exit 2 ;;
    esac
}

start_db() {
    # CI: the databases only, for the tests through PgBouncer and on the replica.
    prepare_state
    start_primary
    start_replica
    start_pgbouncer
}

status() {
    for name in web1 web2 worker beat gateway redis-broker redis-cache pgbouncer; do
        if pid_alive "$STATE/run/$name.pid"; then echo "$name: running"; else echo "$name: stopped"; fi
    done
    for role in primary replica; do
        local port=$PRIMARY_PORT
        [ "$role" = replica ] && port=$REPLICA_PORT
        if pg_ready "$port"; then echo "postgres $role: running"; else echo "postgres $role: stopped"; fi
    done
}

case "${1:-}" in
    start) start ;;
    start-db) start_db ;;
    stop) stop ;;
    up) up "${2:-}" ;;
    down) down "${2:-}" ;;
    status) status ;;
    env) cat "$STATE/env" ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
