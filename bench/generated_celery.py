"""The generated project's Celery app, unchanged, with the benchmark's `noop` task added.

Run in the generated project's venv: `celery -A bench.generated_celery worker`; its settings come
from the project's config.py and the CELERY_* environment variables, as in production.
"""

from __future__ import annotations

import importlib

from bench import SLUG
from bench.tasks import register_noop

app = importlib.import_module(f"{SLUG}.celery_app").celery_app
register_noop(app)
