#!/bin/sh
# Like the official redis image's entrypoint: as root, give /data to redis and switch to it.
set -e

# `docker run redis --port 7000` or `docker run redis my.conf`: options for redis-server.
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi

if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "$1" = 'redis-server' ]; then
    # The official image builds redis with protected mode off; without a config file, turn it
    # off here too (an option given afterwards, or a config file, still wins).
    case "${2:-}" in
        *.conf|-) ;;
        *) shift; set -- redis-server --protected-mode no "$@" ;;
    esac
    umask 0077
fi

exec "$@"
