"""Running other programs: one place for subprocesses, their timeouts and their output.

`run` waits for a command and raises `CommandFailed` (with the tail of its output) when it
cannot start, times out or exits non-zero; `background` keeps a process running for the
length of a `with` block and always stops it, children included. fastcel's steps, its tests
and `bench/` use these, so a process is started and stopped the same way everywhere.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

TAIL_LINES = 20
DEFAULT_TIMEOUT = 180.0
Command = Sequence[str | os.PathLike[str]]


class CommandFailed(Exception):
    """A command did not start, timed out or exited non-zero."""

    def __init__(self, command: str, tail: str) -> None:
        super().__init__(f"{command}: {tail.splitlines()[-1] if tail else 'failed'}")
        self.command = command
        self.tail = tail


@dataclass(frozen=True)
class Finished:
    """A command that ran to its end: its exit code and its output (stderr included)."""

    returncode: int
    output: str


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last `lines` lines of `text`."""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def display(cmd: Command, cwd: Path | None = None) -> str:
    """A command as a user would type it, paths shown relative to `cwd`."""
    parts = []
    for part in cmd:
        text = str(part)
        if cwd is not None:
            with contextlib.suppress(ValueError):
                text = str(Path(text).relative_to(cwd))
        parts.append(shlex.quote(text))
    return " ".join(parts)


def run(
    cmd: Command,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = True,
    input: str | None = None,
) -> Finished:
    """Run `cmd` (standard input: `input`, else none) and return its exit code and output.

    Raises CommandFailed when it cannot start or times out, and (with `check`) when it
    exits non-zero.
    """
    shown = display(cmd, cwd)
    try:
        proc = subprocess.run(
            [str(c) for c in cmd],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL if input is None else None,
            input=input,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise CommandFailed(shown, f"{cmd[0]}: command not found") from None
    except subprocess.TimeoutExpired as err:
        output = err.output.decode(errors="replace") if isinstance(err.output, bytes) else ""
        raise CommandFailed(shown, tail(output) + f"\n(timed out after {timeout:.0f}s)") from None
    if check and proc.returncode != 0:
        raise CommandFailed(shown, tail(proc.stdout) + f"\n(exit code {proc.returncode})")
    return Finished(proc.returncode, proc.stdout)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def background(
    cmd: Command, cwd: Path, env: Mapping[str, str]
) -> Iterator[tuple[subprocess.Popen[Any], IO[str]]]:
    """Start a process in its own session, its output in a temporary file (see `read_log`);
    always stop it and its children on exit."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as log:
        proc = subprocess.Popen(
            [str(c) for c in cmd],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield proc, log
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[Any], grace: float = 10) -> None:
    """Stop a process started in its own session: SIGTERM to its group, SIGKILL after `grace`."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def read_log(log: IO[str]) -> str:
    """Everything a `background` process wrote so far."""
    log.flush()
    log.seek(0)
    return log.read()
