"""`python -m <package>.serve [uvicorn options]`: the API under uvicorn, with its limits.

uvicorn's command line with --limit-concurrency from WEB_LIMIT_CONCURRENCY, so that the limit is
set where the pool sizes are (config.py); options given here come after it and win, e.g.
`python -m <package>.serve --host 0.0.0.0 --port 8000 --workers 2`.
"""

import sys

import uvicorn

from .config import get_settings


def uvicorn_args(options: list[str]) -> list[str]:
    limit = get_settings().web_limit_concurrency
    return [f"{__package__}.main:app", "--limit-concurrency", str(limit), *options]


if __name__ == "__main__":
    uvicorn.main(uvicorn_args(sys.argv[1:]))
