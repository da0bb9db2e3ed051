#!/usr/bin/env bash
# Restore a folder written by scripts/backup.sh: the PostgreSQL database is replaced by the
# dump (pg_restore --clean, one transaction) and this deployment's Redis keys are replaced by
# the saved ones (keys under the prefix that are not in the backup are deleted).
#
#   docker compose stop app worker      # nothing may write meanwhile
#   scripts/restore.sh backups/20260301T030000Z
#   docker compose start app worker
#
# The same PG_EXEC / APP_EXEC / PG* / REDIS_URL settings as scripts/backup.sh; by default the
# Redis part runs in a one-off app container (`docker compose run`), since the app is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:?usage: scripts/restore.sh BACKUP_FOLDER}
PG_EXEC=${PG_EXEC-docker compose exec -T postgres}
APP_EXEC=${APP_EXEC-docker compose run --rm -T --no-deps app}
PGUSER=${PGUSER:-dancebot}
PGDATABASE=${PGDATABASE:-dancebot}

for f in postgres.dump redis.jsonl; do
  [ -s "$dir/$f" ] || { echo "restore: $dir/$f is missing or empty" >&2; exit 1; }
done
if [ -f "$dir/SHA256SUMS" ]; then
  (cd "$dir" && sha256sum --quiet --check SHA256SUMS) || {
    echo "restore: checksums do not match; the backup is damaged" >&2; exit 1; }
fi

# shellcheck disable=SC2086  # *_EXEC are command prefixes, split on purpose
$PG_EXEC pg_restore --username="$PGUSER" --dbname="$PGDATABASE" --clean --if-exists \
  --no-owner --single-transaction --exit-on-error <"$dir/postgres.dump"
# shellcheck disable=SC2086
$APP_EXEC dancebot redis restore --clear <"$dir/redis.jsonl"
echo "restore: done from $dir"
