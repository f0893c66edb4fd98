#!/bin/sh
# Run by the postgres image once, when it creates the database (an empty volume), as
# POSTGRES_USER: that role owns the schema and runs the migrations (compose's migrate service).
# The application connects as POSTGRES_APP_USER, which may read and write rows and nothing
# more: a flaw in the application cannot drop or alter a table, or create one.
# No `set -u` here: the image sources a script that is not executable, and would keep it.

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_user="${POSTGRES_APP_USER:?}" -v app_password="${POSTGRES_APP_PASSWORD:?}" \
    -v owner="$POSTGRES_USER" -v database="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"app_user" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    PASSWORD :'app_password';
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"app_user";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_user";
-- The tables and sequences the owner creates from now on (every migration, and Celery's
-- result tables, which the migrate service creates too).
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app_user";
SQL
