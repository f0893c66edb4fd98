# Stand-in for rabbitmq:4-management-alpine: Debian 13's RabbitMQ 4 with the management plugin.
FROM fastcel-standin/trixie:base
RUN apt-get update \
    && apt-get install -y --no-install-recommends rabbitmq-server \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && ln -s /usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins /usr/lib/rabbitmq/plugins
# Debian's /usr/sbin/rabbitmq* wrappers `su` to rabbitmq; the scripts in /usr/lib/rabbitmq/bin
# run as whoever calls them (the entrypoint switches user itself). HOME is where the server
# writes the Erlang cookie and where `docker exec rabbitmq-diagnostics` (as root) reads it.
ENV PATH=/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/var/lib/rabbitmq \
    RABBITMQ_PLUGINS_DIR=/usr/lib/rabbitmq/plugins \
    RABBITMQ_LOGS=- \
    LANG=C.UTF-8
COPY rabbitmq-defaults.conf /etc/rabbitmq/conf.d/10-defaults.conf
COPY rabbitmq-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN rabbitmq-plugins enable --offline rabbitmq_management \
    && rm -rf /var/lib/rabbitmq/* /var/lib/rabbitmq/.erlang.cookie \
    && chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /etc/rabbitmq
VOLUME /var/lib/rabbitmq
EXPOSE 4369 5671 5672 15671 15672 15691 15692 25672
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["rabbitmq-server"]
