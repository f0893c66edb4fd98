#!/bin/bash
# Like the official postgres image's entrypoint, for what fastcel's compose file uses: as root,
# give the data folder to postgres and switch to it; on an empty data folder create the
# cluster, the password, POSTGRES_DB and run /docker-entrypoint-initdb.d; then exec postgres.
# No `set -u`: init scripts that are not executable are sourced, and would inherit it.
set -Eeo pipefail

# `docker run postgres -c foo=bar`: options for postgres.
if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi

psql_init() {
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

check_password() {
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != 'trust' ]; then
        echo 'error: the database is uninitialized and POSTGRES_PASSWORD is not set' >&2
        exit 1
    fi
}

init_cluster() {
    local pwfile
    pwfile="$(mktemp)"
    printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
    # shellcheck disable=SC2086
    initdb -D "$PGDATA" -E UTF8 --locale=C.UTF-8 --username="$POSTGRES_USER" \
        --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=trust \
        ${POSTGRES_INITDB_ARGS:-}
    rm -f "$pwfile"
    printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" \
        >> "$PGDATA/pg_hba.conf"
}

create_database() {
    local exists
    exists="$(psql_init --dbname postgres --set db="$POSTGRES_DB" --tuples-only --no-align \
        <<< "SELECT 1 FROM pg_database WHERE datname = :'db';")"
    if [ -z "$exists" ]; then
        psql_init --dbname postgres --set db="$POSTGRES_DB" <<< 'CREATE DATABASE :"db";'
    fi
}

run_init_files() {
    local f
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then
                    echo "$0: running $f"; "$f"
                else
                    echo "$0: sourcing $f"; . "$f"
                fi
                ;;
            *.sql) echo "$0: running $f"; psql_init --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | psql_init --dbname "$POSTGRES_DB" ;;
            *) [ -e "$f" ] && echo "$0: ignoring $f" ;;
        esac
    done
}

first_start() {
    check_password
    init_cluster
    export PGPASSWORD="${POSTGRES_PASSWORD:-}"
    # A server on the unix socket only: no client can reach it before the init is done.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
    create_database
    run_init_files
    pg_ctl -D "$PGDATA" -m fast -w stop
    unset PGPASSWORD
    echo "$0: PostgreSQL init process complete; ready for start up."
}

export POSTGRES_USER="${POSTGRES_USER:-postgres}"
export POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"

if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
    mkdir -p "$PGDATA"
    chmod 00700 "$PGDATA"
    find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
    chown postgres:postgres /var/run/postgresql
    chmod 3777 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ "$1" = 'postgres' ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    first_start
fi

exec "$@"
