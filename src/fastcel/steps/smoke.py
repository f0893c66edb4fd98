"""Step: a worker runs the project's `divide` task, and the API answers GET /health."""

from __future__ import annotations

import json
import secrets
import shlex
import time
import urllib.error
import urllib.request

from .. import process
from ..errors import StepFailed
from .base import Finding, Project, Step, run_command

TASK_TIMEOUT = 60
HTTP_TIMEOUT = 60
EXPECTED = {"state": "SUCCESS", "value": 0.5, "bad_state": "FAILURE", "raised": "ZeroDivisionError"}

# Run with the project's interpreter: send divide(1, 2) and divide(1, 0), print the outcome.
SMOKE_SCRIPT = """
import importlib, json, sys
slug, timeout = sys.argv[1], float(sys.argv[2])
importlib.import_module(slug + ".celery_app")
divide = importlib.import_module(slug + ".jobs.tasks").divide
ok = divide.delay(1, 2)
value = ok.get(timeout=timeout)
bad = divide.delay(1, 0)
try:
    bad.get(timeout=timeout)
except Exception as error:
    raised = type(error).__name__
else:
    raised = None
print(json.dumps({"state": ok.state, "value": value, "bad_state": bad.state, "raised": raised}))
"""


class SmokeTest(Step):
    """A worker on a queue of its own runs divide(1, 2) and divide(1, 0); uvicorn on a free
    port answers GET /health."""

    title = "smoke test"

    def run(self, project: Project) -> Finding:
        """See the class docstring."""
        queue = f"{project.slug}-smoke-{secrets.token_hex(4)}"
        on_queue = project.with_env({"CELERY_QUEUE": queue})
        env = on_queue.environ()
        worker = [
            project.bin("celery"),
            "-A",
            f"{project.slug}.celery_app",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ]
        worker_hint = on_queue.rerun_hint(worker)
        with process.background(worker, project.path, env) as (proc, log):
            check = [project.bin("python"), "-c", SMOKE_SCRIPT, project.slug, str(TASK_TIMEOUT)]
            try:
                out = run_command(self.title, check, on_queue, env=env, timeout=3 * TASK_TIMEOUT)
            except StepFailed as err:
                if proc.poll() is not None or "TimeoutError" in err.tail:
                    err.command = process.display(worker, project.path)
                    err.tail = process.tail(process.read_log(log)) + (
                        f"\n(worker exit code {proc.poll()})"
                    )
                    err.rerun = worker_hint
                else:
                    err.command = "python -c <send divide(1, 2) and divide(1, 0)>"
                    send = (
                        f"from {project.slug}.celery_app import celery_app; "
                        f"from {project.slug}.jobs.tasks import divide; "
                        "print(divide.delay(1, 2).get(timeout=30))"
                    )
                    err.rerun = (
                        f"{worker_hint}\n  then in another shell: {on_queue.prefix()}"
                        f".venv/bin/python -c {shlex.quote(send)}"
                    )
                err.message = f"smoke test failed: {err.command}"
                raise
            outcome = json.loads(out.output.strip().splitlines()[-1])
            if outcome != EXPECTED:
                raise StepFailed(
                    self.title,
                    "divide(1, 2) and divide(1, 0)",
                    f"expected SUCCESS 0.5 and FAILURE ZeroDivisionError, got {outcome}\n"
                    + process.tail(process.read_log(log)),
                    worker_hint,
                )
        status = check_http(on_queue)
        return Finding(
            f"divide(1, 2) = 0.5, divide(1, 0) -> ZeroDivisionError, GET /health {status}"
        )


def check_http(project: Project, timeout: float = HTTP_TIMEOUT) -> int:
    """Start uvicorn on a free port and GET /health; return the status (200)."""
    port = process.free_port()
    web = [project.bin("uvicorn"), f"{project.slug}.main:app", "--host", "127.0.0.1"]
    web += ["--port", str(port)]
    url = f"http://127.0.0.1:{port}/health"
    with process.background(web, project.path, project.environ()) as (proc, log):
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    body = json.loads(response.read() or b"null")
                    if response.status == 200 and body == {"status": "ok"}:
                        return response.status
                    last = f"GET /health -> {response.status} {body}"
                    break
            except urllib.error.HTTPError as err:
                last = f"GET /health -> {err.code}"
                break
            except (OSError, ValueError) as err:
                last = f"GET /health: {err}"
            time.sleep(0.2)
        else:
            last = f"GET /health: no answer within {timeout:.0f}s"
        raise StepFailed(
            "smoke test",
            process.display(web, project.path),
            process.tail(process.read_log(log)) + f"\n{last}",
            project.rerun_hint(web),
        )
