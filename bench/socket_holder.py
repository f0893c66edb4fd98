"""Hold open WebSockets on the generated API, run inside the project's venv (websockets).

    BENCH_TOKEN=... python -m bench.socket_holder URL COUNT

Starts COUNT tasks (POST /tasks/divide; no worker runs, so they stay PENDING), opens one socket
per task on /ws/tasks/{id}, sends the access token (BENCH_TOKEN, kept off the command line) and
waits for each socket's first state. Then prints `ready COUNT` and holds them until stopped; a
socket the server closes meanwhile prints `closed CODE`. The URL must be on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

OPENING_AT_ONCE = 50  # handshakes in flight
HTTP_TIMEOUT = 10
FIRST_STATE_TIMEOUT = 30


def start_task(url: str, token: str) -> str:
    request = urllib.request.Request(
        f"{url}/tasks/divide",
        data=json.dumps({"x": 1, "y": 2}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
        return json.loads(response.read())["task_id"]


async def hold(ws_url: str, token: str, opened: asyncio.Semaphore, ready: list) -> None:
    async with opened:
        socket = await connect(ws_url, open_timeout=HTTP_TIMEOUT, max_queue=4)
        await socket.send(json.dumps({"token": token}))
        first = json.loads(await asyncio.wait_for(socket.recv(), FIRST_STATE_TIMEOUT))
        if "state" not in first:
            raise RuntimeError(f"unexpected first message {first}")
    ready.append(socket)
    try:
        while True:
            await socket.recv()
    except ConnectionClosed as closed:
        print(f"closed {closed.rcvd.code if closed.rcvd else 'none'}", flush=True)


async def main(url: str, token: str, count: int) -> None:
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda _: start_task(url, token), range(count)))
    base = "ws://" + urlsplit(url).netloc
    opened, ready = asyncio.Semaphore(OPENING_AT_ONCE), []
    holders = [asyncio.create_task(hold(f"{base}/ws/tasks/{i}", token, opened, ready)) for i in ids]
    while len(ready) < count:
        failed = [h for h in holders if h.done() and h.exception()]
        if failed:
            raise failed[0].exception()
        await asyncio.sleep(0.1)
    print(f"ready {count}", flush=True)
    await asyncio.gather(*holders)


if __name__ == "__main__":
    target, how_many = sys.argv[1], int(sys.argv[2])
    if urlsplit(target).hostname != "127.0.0.1":
        sys.exit(f"sockets only go to 127.0.0.1, not {target}")
    asyncio.run(main(target, os.environ["BENCH_TOKEN"], how_many))
