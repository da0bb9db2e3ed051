#!/usr/bin/env bash
# Back up the deployment: PostgreSQL (pg_dump, custom format) and this deployment's Redis keys
# (`dancebot redis dump`) into one folder, with checksums.
#
#   scripts/backup.sh                 → backups/<UTC time>/
#   scripts/backup.sh /srv/backups/x  → that folder
#
# By default the tools run inside the compose containers (run it from the project folder on
# the VM). To run them directly on this machine instead, set PG_EXEC= and APP_EXEC= (empty)
# and point them at the servers with PGHOST/PGPORT/PGUSER/PGDATABASE and REDIS_URL /
# DANCEBOT_REDIS_PREFIX (that is how the tests run it).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-backups/$(date -u +%Y%m%dT%H%M%SZ)}
PG_EXEC=${PG_EXEC-docker compose exec -T postgres}
APP_EXEC=${APP_EXEC-docker compose exec -T app}
PGUSER=${PGUSER:-dancebot}
PGDATABASE=${PGDATABASE:-dancebot}

mkdir -p "$dir"
umask 077  # the dump holds clients' messages and phones

# shellcheck disable=SC2086  # *_EXEC are command prefixes, split on purpose
$PG_EXEC pg_dump --username="$PGUSER" --dbname="$PGDATABASE" --format=custom --no-owner \
  >"$dir/postgres.dump"
# shellcheck disable=SC2086
$APP_EXEC dancebot redis dump >"$dir/redis.jsonl"

(cd "$dir" && sha256sum postgres.dump redis.jsonl >SHA256SUMS)
echo "backup: written to $dir ($(du -sh "$dir" | cut -f1))"
