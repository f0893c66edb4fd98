# Stand-in for redis:7-alpine: Debian 12's redis 7.0 with an entrypoint like the official one.
FROM fastcel-standin/bookworm:base
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server redis-tools \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && mkdir /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
