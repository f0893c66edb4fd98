"""fastcel: generate a FastAPI + Celery service that works from the first minute."""


def __getattr__(name: str) -> str:
    # Resolved on first use: importlib.metadata costs ~60 ms that `--help` does not need.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("fastcel")
        except PackageNotFoundError:  # a source tree that is not installed
            return "0.0.0"
    raise AttributeError(name)
