#!/usr/bin/env bash
# Make sure the PostgreSQL and RabbitMQ the tests need are reachable.
# Starts a locally installed but stopped server; otherwise fails at once saying what to do.
set -u
PG_URL="${HAVEN_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
AMQP_URI="${HAVEN_AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}"
PY="${PYTHON:-.venv/bin/python}"

hostport() {  # URL -> "host port"
  "$PY" - "$1" "$2" <<'PY'
import sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or int(sys.argv[2]))
PY
}

reachable() {  # host port
  "$PY" - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

wait_for() {  # host port seconds
  for _ in $(seq "$3"); do reachable "$1" "$2" && return 0; sleep 1; done
  return 1
}

read -r PG_HOST PG_PORT < <(hostport "$PG_URL" 5432)
read -r MQ_HOST MQ_PORT < <(hostport "$AMQP_URI" 5672)

if ! reachable "$PG_HOST" "$PG_PORT"; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is installed but stopped: starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  wait_for "$PG_HOST" "$PG_PORT" 30 || {
    echo "PostgreSQL is not reachable at $PG_HOST:$PG_PORT." >&2
    echo "Install it (apt-get install postgresql) or run: docker compose up -d postgres rabbitmq" >&2
    echo "or point HAVEN_POSTGRES_URL at a running server." >&2
    exit 1; }
fi

# Two replicas of every process kind (`haven stack --replicas 2`, tests/platform/test_stack.py)
# hold about 110 connections beside the test run's own; PostgreSQL's default is 100. A local
# server managed by pg_ctlcluster is raised (once: ALTER SYSTEM, then a restart); any
# other is only reported.
NEEDED_CONNECTIONS=300
connections() {
  "$PY" - "$PG_URL" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1], connect_timeout=10) as conn:
    print(conn.execute("SHOW max_connections").fetchone()[0])
PY
}
CURRENT="$(connections 2>/dev/null || echo 0)"
if [ "$CURRENT" -lt "$NEEDED_CONNECTIONS" ]; then
  CLUSTER="$(ls /etc/postgresql 2>/dev/null | head -1)"
  if [ -n "$CLUSTER" ] && command -v pg_ctlcluster >/dev/null \
      && [[ "$PG_HOST" == 127.0.0.1 || "$PG_HOST" == localhost ]]; then
    echo "PostgreSQL allows $CURRENT connections; raising it to $NEEDED_CONNECTIONS (restart)"
    "$PY" - "$PG_URL" "$NEEDED_CONNECTIONS" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute(f"ALTER SYSTEM SET max_connections = {int(sys.argv[2])}")
PY
    pg_ctlcluster --skip-systemctl-redirect "$CLUSTER" main restart
    wait_for "$PG_HOST" "$PG_PORT" 60 || { echo "PostgreSQL did not come back" >&2; exit 1; }
    for _ in $(seq 60); do connections >/dev/null 2>&1 && break; sleep 1; done
  else
    echo "warning: PostgreSQL allows $CURRENT connections; the stack tests need" \
         "$NEEDED_CONNECTIONS (max_connections)" >&2
  fi
fi

if ! reachable "$MQ_HOST" "$MQ_PORT"; then
  if command -v rabbitmq-server >/dev/null; then
    echo "RabbitMQ is installed but stopped: starting it"
    rabbitmq-server -detached || true
  fi
  wait_for "$MQ_HOST" "$MQ_PORT" 60 || {
    echo "RabbitMQ is not reachable at $MQ_HOST:$MQ_PORT." >&2
    echo "Install it (apt-get install rabbitmq-server) or run: docker compose up -d postgres rabbitmq" >&2
    echo "or point HAVEN_AMQP_URI at a running broker." >&2
    exit 1; }
fi
echo "PostgreSQL $PG_HOST:$PG_PORT and RabbitMQ $MQ_HOST:$MQ_PORT are reachable"
