"""Benchmarks of fastcel and of the project it generates: `python -m bench --help`.

Run by the benchmark's own Python (standard library and fastcel only): __main__, generation,
api, worker, matrix, project, services, load, machine, cpu, stats. Run inside the generated
project's venv (FastAPI, Celery, kombu from there): baseline_app, baseline_celery,
generated_celery, tasks, client, brokers, heap.
"""

SLUG = "demo"  # the generated project: `fastcel new demo --defaults`
