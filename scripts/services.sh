#!/usr/bin/env bash
# Make sure the local PostgreSQL and Redis the tests use are running (start them if they are
# installed but stopped); say plainly what is missing otherwise. Idempotent.
set -u
PG_HOST=${PG_HOST:-localhost} PG_PORT=${PG_PORT:-5432}
REDIS_PORT=${REDIS_PORT:-6379}
ok=0

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }
redis_up() { redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
fi
if pg_up; then echo "services: PostgreSQL ok ($PG_HOST:$PG_PORT)"; else
  echo "services: PostgreSQL is NOT running at $PG_HOST:$PG_PORT and could not be started." >&2
  echo "          Install it (apt-get install postgresql) or set TEST_DATABASE_URL." >&2
  ok=1
fi

if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "services: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  fi
fi
if redis_up; then echo "services: Redis ok (localhost:$REDIS_PORT)"; else
  echo "services: Redis is NOT running at localhost:$REDIS_PORT and could not be started." >&2
  echo "          Install it (apt-get install redis-server) or set TEST_REDIS_URL." >&2
  ok=1
fi
exit $ok
