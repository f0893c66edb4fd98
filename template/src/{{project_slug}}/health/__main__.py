"""`python -m <package>.health`: exit 0 when every dependency answers, else 1.

Prints one line per dependency, e.g. "database: ok" or "broker: unavailable: connection refused
(is it running?)", within about checks.TIMEOUT_SECONDS. The causes name no host, port or
password: the log of the API has the drivers' full errors.
"""

import sys

from .checks import run_checks


def main() -> int:
    checks = run_checks()
    for name, result in checks.items():
        print(f"{name}: {result}")
    return 0 if all(result.ok for result in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
