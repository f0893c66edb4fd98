"""HTTP load against 127.0.0.1: `wrk` when installed, else a small asyncio load generator.

Both keep CONNECTIONS (or the given number of) keep-alive connections busy and stop at whichever
comes first: the request cap or the duration. Both report requests/s, p50 and p99 latency, how
many requests failed (connection errors, timeouts, non-2xx answers) and, of those, how many got
no answer at all (connection errors and timeouts: REQUEST_TIMEOUT seconds without a response).
Extra request headers (such as `Authorization: Bearer ...`) go on every request: wrk's `-H`, or
the fallback's request bytes.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.stats import percentile

CONNECTIONS = 32
REQUEST_TIMEOUT = 5.0

WRK_SCRIPT = r"""
-- Set by the benchmark: method, body and the request cap of each thread.
wrk.method = os.getenv("BENCH_METHOD")
wrk.body = os.getenv("BENCH_BODY") ~= "" and os.getenv("BENCH_BODY") or nil
if wrk.body then wrk.headers["Content-Type"] = "application/json" end
local cap = tonumber(os.getenv("BENCH_CAP_PER_THREAD"))
local seen = 0

function response(status, headers, body)
  seen = seen + 1
  if seen >= cap then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,' ..
    '"unanswered":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class LoadResult:
    """One load run: requests/s and latency percentiles in milliseconds."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    unanswered: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok_rps(self) -> float:
        """2xx answers per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def tool() -> str:
    """`wrk` when it is on PATH, else `python`."""
    return "wrk" if shutil.which("wrk") else "python"


def run_load(
    url: str,
    method: str,
    body: str,
    duration: float,
    cap: int,
    headers: Mapping[str, str] | None = None,
    connections: int = CONNECTIONS,
) -> LoadResult:
    """Load `url` with `connections` connections for at most `duration` s and `cap` requests,
    sending `headers` with every request."""
    host = urlsplit(url).hostname
    if host != "127.0.0.1":
        raise ValueError(f"load only targets 127.0.0.1, not {host}")
    headers = check_headers(headers or {})
    if tool() == "wrk":
        return _wrk(url, method, body, duration, cap, headers, connections)
    return asyncio.run(_python_load(url, method, body, duration, cap, headers, connections))


def check_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` as a dict, refusing names or values that would break the request's framing."""
    for name, value in headers.items():
        if not name or any(c in name for c in ":\r\n ") or any(c in value for c in "\r\n"):
            raise ValueError(f"unusable request header {name!r}")
    return dict(headers)


def wrk_command(
    url: str,
    duration: float,
    script: str,
    headers: Mapping[str, str],
    threads: int = 2,
    connections: int = CONNECTIONS,
) -> list[str]:
    """wrk's command line: `connections` connections, the Lua script, one `-H` per header."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s"]
    command += [f"--timeout={REQUEST_TIMEOUT:g}s", "-s", script]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    return [*command, url]


def request_bytes(url: str, method: str, body: str, headers: Mapping[str, str]) -> bytes:
    """The fallback's HTTP/1.1 request: keep-alive, JSON body if any, plus `headers`."""
    parts = urlsplit(url)
    payload = body.encode()
    head = f"{method} {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
    if payload:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (head + "\r\n").encode() + payload


def _wrk(
    url: str,
    method: str,
    body: str,
    duration: float,
    cap: int,
    headers: Mapping[str, str],
    connections: int,
) -> LoadResult:
    threads = 2
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bench.lua"
        script.write_text(WRK_SCRIPT)
        env = {
            "BENCH_METHOD": method,
            "BENCH_BODY": body,
            "BENCH_CAP_PER_THREAD": str(max(1, cap // threads)),
            "PATH": "/usr/bin:/bin",
        }
        command = wrk_command(url, duration, str(script), headers, threads, connections)
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}"[-2000:])
    data = json.loads(line.removeprefix("BENCH "))
    if data["requests"] >= cap:
        # wrk reports its full -d duration even when every thread stopped at the cap early.
        raise RuntimeError(f"wrk reached the request cap ({cap}): raise it for a valid rate")
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["errors"],
        unanswered=data["unanswered"],
    )


async def _python_load(
    url: str,
    method: str,
    body: str,
    duration: float,
    cap: int,
    headers: Mapping[str, str],
    connections: int,
) -> LoadResult:
    parts = urlsplit(url)
    request = request_bytes(url, method, body, headers)
    latencies: list[float] = []
    errors = unanswered = started = 0
    start = time.perf_counter()
    deadline = start + duration

    async def connection() -> None:
        nonlocal errors, unanswered, started
        reader = writer = None
        while time.perf_counter() < deadline and started < cap:
            started += 1
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                sent = time.perf_counter()
                writer.write(request)
                status, closing = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT)
                if 200 <= status < 300:
                    latencies.append(time.perf_counter() - sent)
                else:
                    errors += 1
                if closing:  # e.g. uvicorn's 503 beyond --limit-concurrency
                    writer.close()
                    reader = writer = None
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                unanswered += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    seconds = time.perf_counter() - start
    if not latencies:
        return LoadResult(errors, seconds, float("nan"), float("nan"), errors, unanswered)
    return LoadResult(
        requests=len(latencies) + errors,
        seconds=seconds,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        errors=errors,
        unanswered=unanswered,
    )


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response with a Content-Length body; its status code, and whether the
    server closes the connection after it (`Connection: close`)."""
    header = await reader.readuntil(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    closing = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            closing = value.strip().lower() == "close"
    if length:
        await reader.readexactly(length)
    return status, closing
