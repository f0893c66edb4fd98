"""Benchmarks of fastcel and of the project it generates: `python -m bench --help`.

Modules run by the benchmark's own Python (generation, api, worker, matrix, project, stats, load)
import nothing beyond fastcel and the standard library; the modules run inside the generated
project's venv (baseline_app, baseline_celery, generated_celery, tasks, client, brokers) import
Celery, kombu and FastAPI from there.
"""

SLUG = "demo"  # the generated project: `fastcel new demo --defaults`
