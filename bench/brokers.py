"""Broker chores and the broker's own ceiling, run inside the generated project's venv (kombu).

    python -m bench.brokers delete URL QUEUE...         delete queues and their exchanges
    python -m bench.brokers publish-rate URL COUNT      a bare kombu producer's publish rate
    python -m bench.brokers redis-cleanup URL MARKER    remove a Redis db's keys named MARKER

Queue and exchange share a name, as in the generated project and in Celery's default routing.
Everything prints one JSON line.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
import time

from kombu import Connection, Exchange, Producer, Queue

CONNECT_TIMEOUT = 5
PUBLISH_WAIT = 60  # seconds a published batch may take to show up in its queue


def _is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://"))


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=CONNECT_TIMEOUT)


def _priority_keys(name: str) -> list[str]:
    """The list keys kombu's Redis transport uses for one queue (priority steps 0, 3, 6, 9)."""
    return [name, *(f"{name}\x06\x16{step}" for step in (3, 6, 9))]


def _close(channel) -> None:
    """Close an AMQP channel that a channel error may already have closed."""
    with contextlib.suppress(Exception):
        channel.close()


def delete(url: str, queues: list[str]) -> int:
    """Delete `queues` and the exchanges of the same name; the number of queues named."""
    if _is_redis(url):
        client = _redis(url)
        for name in queues:
            bindings = (f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
            client.delete(*_priority_keys(name), *bindings)
            client.zrem("_kombu.binding_deadlines", name)
        return len(queues)
    with Connection(url, connect_timeout=CONNECT_TIMEOUT) as conn:
        for name in queues:
            for op in ("queue_delete", "exchange_delete"):
                channel = conn.channel()
                try:
                    getattr(channel, op)(name)
                except conn.channel_errors:
                    pass  # already gone
                finally:
                    _close(channel)
    return len(queues)


def redis_cleanup(url: str, marker: str) -> int:
    """Delete a Redis database's keys whose name holds `marker`, and the members holding it of
    kombu's binding sets (e.g. a worker's pidbox queue); the number of keys and members."""
    client = _redis(url)
    removed = 0
    for key in client.scan_iter(match="*", count=1000):
        text = key.decode(errors="replace")
        if marker in text:
            removed += client.delete(key)
        elif text.startswith("_kombu.binding"):
            kind = client.type(key)
            if kind == b"set":
                members = [m for m in client.smembers(key) if marker.encode() in m]
                removed += client.srem(key, *members) if members else 0
            elif kind == b"zset":
                members = [m for m in client.zrange(key, 0, -1) if marker.encode() in m]
                removed += client.zrem(key, *members) if members else 0
    return removed


def publish_rate(url: str, count: int) -> dict[str, float]:
    """Publish `count` small persistent JSON messages with a bare kombu Producer to a queue of
    our own, until the broker holds them all (bounded); then delete the queue.

    Returns {"seconds": ..., "count": ...}: the time from the first publish until the broker
    reports all of them queued.
    """
    name = f"bench-ceiling-{secrets.token_hex(4)}"
    exchange = Exchange(name, type="direct")
    queue = Queue(name, exchange, routing_key=name)
    body = {"task": "noop", "args": [], "kwargs": {}}
    try:
        with Connection(url, connect_timeout=CONNECT_TIMEOUT) as conn:
            channel = conn.channel()
            queue(channel).declare()
            producer = Producer(channel, exchange=exchange, routing_key=name, serializer="json")
            start = time.perf_counter()
            for _ in range(count):
                producer.publish(body)
            deadline = time.monotonic() + PUBLISH_WAIT
            while queue(channel).queue_declare(passive=True).message_count < count:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{count} messages not queued within {PUBLISH_WAIT} s")
                time.sleep(0.005)
            seconds = time.perf_counter() - start
    finally:
        delete(url, [name])
    return {"seconds": seconds, "count": count}


def main(argv: list[str]) -> None:
    command, url, *rest = argv
    if command == "delete":
        print(json.dumps({"deleted": delete(url, rest)}))
    elif command == "publish-rate":
        print(json.dumps(publish_rate(url, int(rest[0]))))
    elif command == "redis-cleanup":
        print(json.dumps({"removed": redis_cleanup(url, rest[0])}))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
