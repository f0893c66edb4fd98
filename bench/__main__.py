"""`python -m bench`: measure, then print a Markdown report on stdout (progress on stderr).

    python -m bench [--only generation,adding,api,load,sockets,worker,containers,matrix]
                    [--matrix]
                    [--runs N] [--readme] [--template DIR]

Sections: generation (fastcel vs plain Copier), adding (`fastcel add domain` and `fastcel add
task` in a generated project), api (generated API vs a minimal FastAPI app),
load (the generated API at 30 to 200 concurrent clients, one and two processes), sockets (API
latency beside 0 to 2,000 open WebSockets, per result backend), worker
(generated Celery settings vs Celery's defaults), containers (the generated project's Docker
image: its size against its base image plus its virtualenv, a cold build, a rebuild after a
source change, `docker compose up --wait` to healthy and `down -v`; about 4 minutes and needs a
Docker engine with compose v2, so only with --only containers), matrix (the option matrix's wall
time: minutes long, so only with --matrix or --only matrix). Run from the repository root with the
Python that has fastcel installed (the dev or CI venv); needs PostgreSQL, Redis and RabbitMQ on
127.0.0.1. `--readme` also writes the report into README.md's Performance section; `--template`
measures the project of another template root (copier.yml and template/, e.g. an earlier commit's
`git archive`). Exits 1 when a section failed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from bench.stats import fmt_seconds

SECTIONS = ("generation", "adding", "api", "load", "sockets", "worker", "containers", "matrix")
DEFAULT = ("generation", "adding", "api", "load", "sockets", "worker")
TITLES = {
    "generation": "Generation",
    "adding": "Adding a domain and a task",
    "api": "Generated API vs minimal FastAPI app",
    "load": "Generated API under concurrent load",
    "sockets": "Generated API beside open WebSockets",
    "worker": "Generated worker settings vs Celery defaults",
    "containers": "Generated project in containers",
    "matrix": "Option matrix",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT),
        help=f"comma-separated sections among {', '.join(SECTIONS)} (default: %(default)s)",
    )
    parser.add_argument(
        "--matrix", action="store_true", help="also run the option matrix (minutes long)"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="measured runs per figure (default: %(default)s)"
    )
    parser.add_argument(
        "--template",
        type=Path,
        help="template root (copier.yml and template/) to generate the measured project from "
        "(default: this checkout)",
    )
    parser.add_argument(
        "--readme",
        action="store_true",
        help="also write the report into README.md (between <!-- bench --> and <!-- /bench -->)",
    )
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose among {SECTIONS}")
    if args.matrix and "matrix" not in chosen:
        chosen.append("matrix")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.template and not (args.template / "copier.yml").is_file():
        parser.error(f"--template {args.template}: no copier.yml there")
    args.sections = [name for name in SECTIONS if name in chosen]
    return args


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_section(name: str, project, runs: int, template: Path | None = None) -> str:
    from bench import adding, api, concurrency, containers, generation, matrix, sockets, worker

    if name == "generation":
        return generation.run(project, runs, log)
    if name == "adding":
        return adding.run(runs, log)
    if name == "api":
        return api.run(project, runs, log, template)
    if name == "load":
        return concurrency.run(project, log)
    if name == "sockets":
        return sockets.run(template, log)
    if name == "worker":
        return worker.run(project, runs, log)
    if name == "containers":
        return containers.run(template, runs, log)
    return matrix.run(log)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    start = time.perf_counter()
    from bench.machine import header, python_version_of
    from bench.project import prepare

    # The matrix, the containers and adding render projects of their own.
    needs_project = any(name not in ("matrix", "containers", "adding") for name in args.sections)
    project = prepare(log, args.template) if needs_project else None
    project_python = python_version_of(project.python) if project else "not built"
    report: list[str] = []

    def out(text: str) -> None:
        report.append(text)
        print(text, flush=True)

    out(header(args.runs, project_python))
    failed = []
    for name in SECTIONS:
        out(f"\n## {TITLES[name]}\n")
        if name not in args.sections:
            hint = " (add `--matrix`)" if name == "matrix" else f" (`--only {name}`)"
            out(f"not measured in this run{hint}")
            continue
        log(f"{name}: started")
        section_start = time.perf_counter()
        try:
            text = run_section(name, project, args.runs, args.template)
        except Exception as err:
            failed.append(name)
            log(f"{name}: failed\n{traceback.format_exc()}")
            text = f"**failed**: {type(err).__name__}: {err}".strip()
        out(text)
        log(f"{name}: {fmt_seconds(time.perf_counter() - section_start)}")
    total = time.perf_counter() - start
    out(
        f"\nTotal runtime: {fmt_seconds(total)}"
        + (f"; failed sections: {', '.join(failed)}" if failed else "")
    )
    if args.readme:
        from bench.readme import write

        write("\n".join(report))
        log("README.md: Performance section updated")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
