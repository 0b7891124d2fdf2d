#!/bin/sh
# The one way the services start: docker/compose.yaml names a role per service, and the
# tests run the same roles on a host (PYTHON=/path/to/venv/python).
#
#   entrypoint.sh migrate   schema, default categories and sources, the first admin; exits
#   entrypoint.sh web       gunicorn on 0.0.0.0:8000
#   entrypoint.sh worker    a Celery worker on every queue
#   entrypoint.sh beat      the scheduler (its rows live in the database)
#   entrypoint.sh manage …  any manage.py command, e.g. `docker compose run --rm web
#                           manage changepassword NAME`
set -eu

ROLES="migrate|web|worker|beat|manage"
PYTHON="${PYTHON:-python}"
banner=""
if [ "${LOG_FORMAT:-plain}" = json ]; then banner="--quiet"; fi
cd "$(dirname "$0")/.."

# web, worker and beat need the schema. Compose starts them after `migrate`; started
# before it anyway (by hand, on a host, a restart racing an upgrade) they wait here
# instead of crashing on a missing table, and after MIGRATION_WAIT seconds exit so
# the restart policy tries again.
wait_for_migrations() {
    waited=0
    until "$PYTHON" manage.py migrate --check >/dev/null 2>&1; do
        if [ "$waited" -ge "${MIGRATION_WAIT:-600}" ]; then
            echo "entrypoint: the migrations are not applied after ${waited}s" >&2
            exit 75
        fi
        if [ "$waited" -eq 0 ]; then
            echo "entrypoint: waiting for the migrate role to apply the migrations" >&2
        fi
        sleep 3
        waited=$((waited + 3))
    done
}

case "${1:-}" in
migrate)
    "$PYTHON" manage.py migrate --noinput
    # Activating once, not at every start: an editor who later turns a default source
    # off must not find it on again after the next upgrade. The marker sits in var/,
    # the volume every service shares; delete it to activate the defaults again.
    marker="${VAR_DIR:-var}/default-sources-activated"
    if [ "${ACTIVATE_DEFAULT_SOURCES:-0}" = 1 ] && [ ! -e "$marker" ]; then
        "$PYTHON" manage.py load_defaults --activate-sources
        mkdir -p "$(dirname "$marker")" && date -u >"$marker"
    else
        "$PYTHON" manage.py load_defaults
    fi
    "$PYTHON" manage.py create_first_admin
    ;;
web)
    wait_for_migrations
    # Threads let concurrent one-click unsubscribes share a database commit flush.
    exec "$PYTHON" -m gunicorn config.wsgi:application --bind "0.0.0.0:${PORT:-8000}" \
        --workers "${WEB_WORKERS:-2}" --threads 8
    ;;
worker)
    wait_for_migrations
    # The node is celery@<hostname>: the compose healthcheck pings exactly this one.
    # $banner: no start-up banner amid JSON lines (LOG_FORMAT=json).
    exec "$PYTHON" -m celery $banner -A config worker -Q celery,ingest,email \
        -l "${CELERY_LOG_LEVEL:-info}"
    ;;
beat)
    wait_for_migrations
    exec "$PYTHON" -m celery $banner -A config beat -l "${CELERY_LOG_LEVEL:-info}" \
        --scheduler django_celery_beat.schedulers:DatabaseScheduler
    ;;
manage)
    shift
    exec "$PYTHON" manage.py "$@"
    ;;
*)
    echo "usage: entrypoint.sh $ROLES" >&2
    exit 64
    ;;
esac
