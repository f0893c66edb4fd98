"""`python -m <package>.serve [uvicorn options]`: the API under uvicorn, with its limits.

uvicorn's command line with --limit-concurrency from WEB_LIMIT_CONCURRENCY, so that the limit is
set where the pool sizes are (config.py); options given here come after it and win, e.g.
`python -m <package>.serve --host 0.0.0.0 --port 8000 --workers 2`.
"""

import resource
import sys

import uvicorn

from .config import get_settings

# Files a process opens beside its connections: modules, logs, database and broker sockets.
OTHER_FILES = 256


def raise_open_files(connections: int) -> None:
    """Let the process hold `connections` sockets: a shell's soft limit is often 1,024 while the
    hard limit allows far more. Raised up to the hard limit only; never lowered."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + OTHER_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(
            resource.RLIMIT_NOFILE,
            (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard),
        )


def uvicorn_args(options: list[str]) -> list[str]:
    limit = get_settings().web_limit_concurrency
    return [f"{__package__}.main:app", "--limit-concurrency", str(limit), *options]


if __name__ == "__main__":
    raise_open_files(get_settings().web_limit_concurrency)
    uvicorn.main(uvicorn_args(sys.argv[1:]))
