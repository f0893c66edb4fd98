# Stand-in for postgres:17: Debian 13's PostgreSQL 17 with an entrypoint like the official one.
FROM fastcel-standin/trixie:base
# No cluster from the package: the entrypoint creates one in $PGDATA on the first start.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
    && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/fastcel.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-17 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/17 /etc/postgresql/17 \
    && sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" \
       /usr/share/postgresql/17/postgresql.conf.sample \
    && mkdir -p /docker-entrypoint-initdb.d /var/lib/postgresql/data /var/run/postgresql \
    && chown postgres:postgres /var/lib/postgresql /var/lib/postgresql/data /var/run/postgresql \
    && chmod 700 /var/lib/postgresql/data && chmod 3777 /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PG_MAJOR=17 \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
# Fast shutdown (the official image's choice): SIGTERM would wait for every client to leave.
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
