"""The baseline Celery app: Celery's defaults, with only the broker and result backend URLs.

The one other setting is the default queue's name (CELERY_QUEUE), so that the benchmark uses
queues of its own instead of the shared `celery` queue. Run in the generated project's venv:
`celery -A bench.baseline_celery worker`.
"""

from __future__ import annotations

import os

from celery import Celery

from bench.tasks import register_divide, register_noop

app = Celery(
    "bench_baseline",
    broker=os.environ["CELERY_BROKER_URL"],
    backend=os.environ["CELERY_RESULT_BACKEND"],
)
app.conf.task_default_queue = os.environ["CELERY_QUEUE"]
register_noop(app)
divide = register_divide(app)
