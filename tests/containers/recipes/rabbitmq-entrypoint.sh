#!/bin/bash
# Like the official rabbitmq image's entrypoint: as root, give /var/lib/rabbitmq to rabbitmq
# and switch to it; the server logs to stdout (RABBITMQ_LOGS=-). RABBITMQ_DEFAULT_USER and
# RABBITMQ_DEFAULT_PASS become `default_user`/`default_pass` in a config file under /tmp (the
# root filesystem may be read-only), used when the server creates its database.
set -euo pipefail

if [ "$1" = 'rabbitmq-server' ] && [ "$(id -u)" = '0' ]; then
    find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq '{}' +
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "${BASH_SOURCE[0]}" "$@"
fi

write_config() {
    local dir
    dir="$(mktemp -d /tmp/rabbitmq-conf.XXXXXX)"
    cp /etc/rabbitmq/conf.d/*.conf "$dir"/
    {
        [ -n "${RABBITMQ_DEFAULT_USER:-}" ] && echo "default_user = $RABBITMQ_DEFAULT_USER"
        [ -n "${RABBITMQ_DEFAULT_PASS:-}" ] && echo "default_pass = $RABBITMQ_DEFAULT_PASS"
        [ -n "${RABBITMQ_DEFAULT_VHOST:-}" ] && echo "default_vhost = $RABBITMQ_DEFAULT_VHOST"
        true
    } > "$dir/90-environment.conf"
    export RABBITMQ_CONFIG_FILES="$dir"
}

if [ "$1" = 'rabbitmq-server' ]; then
    umask 0027
    write_config
fi

exec "$@"
