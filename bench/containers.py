"""The default generated project in containers: its image's size, build times and stack start.

Measured on a fresh `fastcel new demo --defaults --no-setup` (secrets in .env, uv.lock written)
in a temp folder, under a compose project of its own (`fastcel-bench-<pid>`) whose app services
share one image tagged `fastcel-bench-<pid>-app` (an override file, compose.bench.yaml, which
the project's .dockerignore keeps out of the build context), WEB_PORT and FLOWER_PORT on free
ports, so tests running compose at the same time do not collide with it:
- image size (`docker image inspect -f {{.Size}}`) against its floor: the runtime stage's base
  image plus the installed /opt/venv (the bytes of its files, as a layer holds them; `du -sb`
  shown beside);
- cold build: `docker compose build --no-cache web` (the app image, built once for every app
  service); whether uv's cache mount was warm is read from uv's own output (downloads or not);
- rebuild after appending a comment to src/demo/main.py: `docker compose build web`, which must
  reuse the dependency layer (`uv sync --no-install-project`, reported CACHED by BuildKit);
- rebuild after appending a comment to uv.lock: the dependency layer again, from uv's cache mount
  as the builds before left it;
- `docker compose up -d --wait` from the built images until every service is healthy (or, for
  the one-shot migrate, exited 0), then `down -v --remove-orphans`.
`--runs N`: N rebuilds after the source change, min(N, 3) of each other figure. Every command has
a time limit; the stack, its volumes and every image built here are removed at the end. Where no
registry is reachable, the stand-in images of tests/containers/standins.py are built first (only
when an image is missing or already a stand-in) and the report says so.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import SLUG
from bench.project import ROOT, clean_env, fastcel_exe
from bench.stats import fmt_ratio, fmt_seconds, median, ratio, table

RENDER_TIMEOUT = 300
BUILD_TIMEOUT = 900
UP_TIMEOUT = 300  # compose's own --wait-timeout; the process gets 60 s more
DOWN_TIMEOUT = 120
DOCKER_TIMEOUT = 120
STANDINS_TIMEOUT = 1800  # two debootstraps and three Pythons when nothing is built yet
REBUILD_AIM = 10.0  # seconds
STANDIN_LABEL = "org.fastcel.standin.recipe"
DEPENDENCY_STEP = "--no-install-project"  # the Dockerfile's dependency layer, and only it
BUILT_SERVICE = "web"


# --------------------------------------------------------------------------- pure helpers


@dataclass
class Step:
    """One step of a BuildKit `--progress=plain` log: `#N [stage i/n] INSTRUCTION`."""

    name: str
    cached: bool = False
    seconds: float | None = None
    output: list[str] = field(default_factory=list)


_STEP_LINE = re.compile(r"^#(\d+) (.*)$")
_TIMED = re.compile(r"^\d+(?:\.\d+)? (.*)$")


def parse_steps(log: str) -> dict[str, Step]:
    """The steps of a plain BuildKit log by their number, in the order they first appear.

    A step's header `#N [...] ...` names it; `#N CACHED`, `#N DONE 1.2s` and `#N 0.123 text`
    lines (the step's output, here without its timestamp) may interleave with other steps'.
    """
    steps: dict[str, Step] = {}
    for line in log.splitlines():
        match = _STEP_LINE.match(line.rstrip())
        if not match:
            continue
        number, rest = match.groups()
        if number not in steps:
            steps[number] = Step(rest)
            continue
        step = steps[number]
        if rest == "CACHED":
            step.cached = True
        elif rest.startswith("DONE "):
            with contextlib.suppress(ValueError):
                step.seconds = float(rest.removeprefix("DONE ").removesuffix("s"))
        elif rest.startswith("["):
            continue  # the header again, when the step resumes after another's output
        else:
            timed = _TIMED.match(rest)
            step.output.append(timed.group(1) if timed else rest)
    return steps


def dependency_step(steps: dict[str, Step], marker: str = DEPENDENCY_STEP) -> Step | None:
    """The builder's dependency layer: the step whose instruction holds `marker`."""
    return next((step for step in steps.values() if marker in step.name), None)


def rerun_steps(steps: dict[str, Step]) -> list[str]:
    """The Dockerfile's RUN and COPY steps that ran again (not CACHED), by instruction."""
    rerun = []
    for step in steps.values():
        match = re.match(r"^\[[^\]]*\] ((?:RUN|COPY)\b.*)$", step.name)
        if match and not step.cached:
            rerun.append(match.group(1))
    return rerun


def uv_downloads(step: Step) -> int:
    """How many packages uv fetched in `step`: the count of its `Prepared N packages` line (0
    when uv found everything in its cache and printed none)."""
    for line in step.output:
        match = re.search(r"Prepared (\d+) packages?", line)
        if match:
            return int(match.group(1))
    return 0


def image_id(log: str) -> str | None:
    """The `sha256:...` id BuildKit wrote the image under, from `writing image sha256:...`."""
    match = re.search(r"writing image (sha256:[0-9a-f]{64})", log)
    return match.group(1) if match else None


def parse_du(output: str) -> int:
    """Bytes from `du -sb PATH` (`123456<TAB>/opt/venv`)."""
    first = output.strip().split(maxsplit=1)
    if not first or not first[0].isdigit():
        raise ValueError(f"not du -sb output: {output!r}")
    return int(first[0])


def runtime_base(dockerfile: str) -> str:
    """The image the last stage of `dockerfile` starts FROM (`python:3.12-slim`)."""
    bases = [
        match.group(1)
        for match in re.finditer(r"^FROM\s+(?:--\S+\s+)*(\S+)", dockerfile, re.MULTILINE)
    ]
    if not bases:
        raise ValueError("no FROM line in the Dockerfile")
    return bases[-1]


def built_services(config: dict) -> list[str]:
    """The services of `docker compose config --format json` built from the project."""
    return sorted(name for name, service in config["services"].items() if "build" in service)


def service_images(config: dict) -> list[str]:
    """The images the services not built from the project run (postgres:17, redis:...)."""
    return sorted(
        {service["image"] for service in config["services"].values() if "build" not in service}
    )


def dockerfile_images(dockerfile: str) -> list[str]:
    """The images a Dockerfile starts FROM or copies from (`COPY --from=image:tag`), without
    its own stages' names."""
    stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, re.MULTILINE | re.IGNORECASE))
    named = re.findall(r"^FROM\s+(?:--\S+\s+)*(\S+)", dockerfile, re.MULTILINE)
    named += re.findall(r"^COPY\s+.*--from=(\S+)", dockerfile, re.MULTILINE)
    return sorted({image for image in named if image not in stages})


def override(services: list[str], tag: str) -> str:
    """A compose override (JSON is YAML) giving `services` the image `tag`."""
    return json.dumps({"services": {name: {"image": tag} for name in services}}, indent=2)


def fmt_mb(size: float | None) -> str:
    """Bytes as decimal megabytes, as docker shows them: `263.4 MB`; kB below 1 MB."""
    if size is None or math.isnan(size):
        return "n/a"
    if abs(size) < 1e6:
        return f"{size / 1e3:.0f} kB"
    return f"{size / 1e6:.1f} MB"


def fmt_spread(values: list[float]) -> str:
    """The median of `values` with their range: `5.12 s (4.90 s-5.40 s)`; one value alone."""
    if not values:
        return "n/a"
    if len(values) == 1:
        return fmt_seconds(values[0])
    return f"{fmt_seconds(median(values))} ({fmt_seconds(min(values))}-{fmt_seconds(max(values))})"


def append_comment(path: Path, token: str) -> None:
    """Append the comment line `# bench <token>` to a source or TOML file: a change of its
    bytes that leaves its meaning alone. A token of its own per build: BuildKit keys its cache
    by content, so a comment written by an earlier run would find that run's layers."""
    with path.open("a", encoding="utf-8") as source:
        source.write(f"# bench {token}\n")


def runs_label(count: int) -> str:
    """`1 run`, `3 runs`."""
    return f"{count} run" + ("" if count == 1 else "s")


# --------------------------------------------------------------------------- docker


def docker(*args: str, cwd: Path | None = None, env=None, timeout: float = DOCKER_TIMEOUT) -> str:
    """Run `docker args...`; its stdout and stderr together. RuntimeError with the tail."""
    done = subprocess.run(
        ["docker", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise RuntimeError(f"docker {' '.join(args[:4])} ... exited {done.returncode}:\n{tail}")
    return output


def inspect(image: str, template: str) -> str | None:
    """`docker image inspect -f TEMPLATE image`, or None when there is no such image."""
    try:
        return docker("image", "inspect", "-f", template, image).strip()
    except RuntimeError:
        return None


def size_of(image: str) -> int:
    """`docker image inspect -f {{.Size}}` in bytes."""
    size = inspect(image, "{{.Size}}")
    if size is None or not size.isdigit():
        raise RuntimeError(f"no size for image {image}: {size!r}")
    return int(size)


def ensure_images(images: list[str], log: Callable) -> str:
    """Where the images come from: build the stand-ins when one is missing or already a
    stand-in (never over a real image); the report's note."""
    labels = {
        image: inspect(image, f'{{{{index .Config.Labels "{STANDIN_LABEL}"}}}}') for image in images
    }
    missing = [image for image, label in labels.items() if label is None]
    standins = [image for image, label in labels.items() if label and label != "<no value>"]
    if not missing and not standins:
        return "upstream images"
    log(f"containers: stand-in images ({', '.join(missing or standins)})")
    # A process of its own, so that the wait for its lock (another run may be building them)
    # has a limit too.
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "containers" / "standins.py")],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=STANDINS_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"tests/containers/standins.py exited {done.returncode}:\n{tail}")
    return "stand-ins built by tests/containers/standins.py (no registry reachable)"


# --------------------------------------------------------------------------- the section


@dataclass
class Stack:
    """The rendered project under a compose project name of its own."""

    path: Path
    name: str
    tag: str
    env: dict[str, str]
    images: set[str] = field(default_factory=set)

    def compose(self, *args: str, timeout: float) -> str:
        files = ["-f", "compose.yaml", "-f", "compose.bench.yaml"]
        return docker(
            "compose",
            "--progress=plain",
            "-p",
            self.name,
            *files,
            *args,
            cwd=self.path,
            env=self.env,
            timeout=timeout,
        )

    def build(self, *extra: str) -> tuple[float, dict[str, Step]]:
        start = time.perf_counter()
        output = self.compose("build", *extra, BUILT_SERVICE, timeout=BUILD_TIMEOUT)
        seconds = time.perf_counter() - start
        built = image_id(output) or inspect(self.tag, "{{.Id}}")
        if built:
            self.images.add(built)
        return seconds, parse_steps(output)

    def down(self) -> float:
        start = time.perf_counter()
        self.compose("down", "-v", "--remove-orphans", "--timeout", "20", timeout=DOWN_TIMEOUT)
        return time.perf_counter() - start


def render(folder: Path, template: Path | None) -> Path:
    """`fastcel new demo --defaults --no-setup` in `folder`; the project's path."""
    project = folder / SLUG
    other = ["--template", str(template), "--trust"] if template else []
    done = subprocess.run(
        [fastcel_exe(), "new", SLUG, "--defaults", "--no-setup", "--dest", str(project), *other],
        cwd=folder,
        env=clean_env(UV_PYTHON_DOWNLOADS="never"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RENDER_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"fastcel new exited {done.returncode}:\n{tail}")
    for needed in ("uv.lock", ".env", "Dockerfile", "compose.yaml"):
        if not (project / needed).is_file():
            raise RuntimeError(f"the generated project has no {needed}")
    return project


def make_stack(project: Path) -> tuple[Stack, list[str]]:
    """The stack with its override file and free ports; the images of its other services."""
    from fastcel.process import free_port

    name = f"fastcel-bench-{os.getpid()}"
    tag = f"{name}-app:latest"
    env = clean_env()
    stack = Stack(project, name, tag, env)
    config = json.loads(
        docker("compose", "-f", "compose.yaml", "config", "--format", "json", cwd=project, env=env)
    )
    (project / "compose.bench.yaml").write_text(override(built_services(config), tag))
    stack.env.update(WEB_PORT=str(free_port()), FLOWER_PORT=str(free_port()))
    return stack, service_images(config)


def wait_health(port: str, limit: float = 10) -> bool:
    """Whether the web container's GET /health answers 200 on the published port."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response,
        ):
            if response.status == 200:
                return True
        time.sleep(0.2)
    return False


def run(template: Path | None, runs: int, log: Callable = print) -> str:
    """The containers section: `min(runs, 3)` cold builds and starts, `runs` rebuilds."""
    folder = Path(tempfile.mkdtemp(prefix="bench-containers-"))
    stack: Stack | None = None
    try:
        project = render(folder, template)
        dockerfile = (project / "Dockerfile").read_text()
        base = runtime_base(dockerfile)
        stack, others = make_stack(project)
        source = ensure_images(sorted({*dockerfile_images(dockerfile), *others}), log)
        log(f"containers: compose project {stack.name}, image {stack.tag}")
        return measure(stack, base, source, runs, log)
    finally:
        if stack is not None:
            cleanup(stack, log)
        shutil.rmtree(folder, ignore_errors=True)


VENV_FILE_BYTES = (
    "import os; print(sum(os.lstat(os.path.join(d, f)).st_size"
    " for d, _, fs in os.walk('/opt/venv') for f in fs))"
)


@dataclass
class Builds:
    """Wall times of one kind of build, and what BuildKit and uv said about the dependency
    layer in each."""

    seconds: list[float] = field(default_factory=list)
    dependency_seconds: list[float] = field(default_factory=list)
    dependency_cached: list[bool] = field(default_factory=list)
    fetched: list[int] = field(default_factory=list)
    all_cached: list[bool] = field(default_factory=list)

    def add(self, seconds: float, steps: dict[str, Step]) -> None:
        dependency = dependency_step(steps)
        if dependency is None:
            raise RuntimeError(f"no `{DEPENDENCY_STEP}` step in the build's log")
        self.seconds.append(seconds)
        self.dependency_cached.append(dependency.cached)
        self.all_cached.append(not rerun_steps(steps))
        self.fetched.append(uv_downloads(dependency))
        if dependency.seconds is not None:
            self.dependency_seconds.append(dependency.seconds)

    def cache_mount(self) -> str:
        """Whether uv's cache mount was warm: what uv fetched in each build."""
        if not any(self.fetched):
            return "warm (uv fetched nothing)"
        return "cold (uv fetched " + " / ".join(map(str, self.fetched)) + " packages)"


def build_series(
    stack: Stack,
    count: int,
    what: str,
    log: Callable,
    change: Callable[[int], None] | None = None,
    extra: tuple[str, ...] = (),
) -> Builds:
    """`count` builds (`build *extra`), each after `change(number)` when given."""
    builds = Builds()
    for number in range(count):
        if change is not None:
            change(number)
        seconds, steps = stack.build(*extra)
        builds.add(seconds, steps)
        if builds.all_cached[-1]:
            raise RuntimeError(f"{what} {number + 1}: every step came from the layer cache")
        layer = "reused" if builds.dependency_cached[-1] else "rebuilt"
        log(
            f"containers: {what} {number + 1}/{count}: {fmt_seconds(builds.seconds[-1])}, "
            f"dependency layer {layer}, uv fetched {builds.fetched[-1]} packages, "
            f"{len(rerun_steps(steps))} RUN/COPY steps ran: "
            + "; ".join(step[:40] for step in rerun_steps(steps))
        )
    return builds


def sizes(stack: Stack, base: str) -> tuple[int, int, int, int]:
    """The image's size, its base image's, and /opt/venv's file bytes and `du -sb`."""
    run = ("run", "--rm", "--network", "none", "--entrypoint")
    files = docker(*run, "python", stack.tag, "-c", VENV_FILE_BYTES)
    du = docker(*run, "du", stack.tag, "-sb", "/opt/venv")
    return size_of(stack.tag), size_of(base), parse_du(files), parse_du(du)


def start_stack(stack: Stack, count: int, log: Callable) -> tuple[list[float], list[float], str]:
    """`count` times `up -d --wait` from the built images, then `down -v`; the two series of
    wall times and what was up."""
    ups: list[float] = []
    downs: list[float] = []
    services = 0
    answered = 0
    for number in range(count):
        start = time.perf_counter()
        try:
            stack.compose(
                "up",
                "-d",
                "--wait",
                "--wait-timeout",
                str(UP_TIMEOUT),
                "--no-build",
                "--pull",
                "never",
                timeout=UP_TIMEOUT + 60,
            )
            ups.append(time.perf_counter() - start)
            listed = stack.compose("ps", "-a", "--format", "{{.Service}}", timeout=60)
            services = len(listed.split())
            answered += wait_health(stack.env["WEB_PORT"])
        finally:
            downs.append(stack.down())
        log(
            f"containers: up {number + 1}/{count}: {fmt_seconds(ups[-1])}, "
            f"down -v {fmt_seconds(downs[-1])}"
        )
    return ups, downs, f"{services} services; GET /health answered 200 in {answered}/{count}"


def measure(stack: Stack, base: str, source: str, runs: int, log: Callable) -> str:
    few = min(runs, 3)
    cold = build_series(stack, few, "cold build", log, extra=("--no-cache",))
    if any(cold.dependency_cached):
        raise RuntimeError("a --no-cache build reused the dependency layer")
    image_size, base_size, venv, venv_du = sizes(stack, base)
    floor = base_size + venv

    main_py = stack.path / "src" / SLUG / "main.py"
    rebuilt = build_series(
        stack,
        runs,
        "rebuild",
        log,
        lambda number: append_comment(main_py, f"{stack.name} {number} {secrets.token_hex(4)}"),
    )
    reused = sum(rebuilt.dependency_cached)
    lock = stack.path / "uv.lock"
    relocked = build_series(
        stack,
        few,
        "uv.lock touched",
        log,
        lambda number: append_comment(lock, f"{stack.name} {number} {secrets.token_hex(4)}"),
    )
    ups, downs, what_was_up = start_stack(stack, few, log)

    rebuild_met = bool(rebuilt.seconds) and median(rebuilt.seconds) < REBUILD_AIM and reused == runs
    with_layer = [
        t for t, kept in zip(rebuilt.seconds, rebuilt.dependency_cached, strict=True) if kept
    ]
    without = [
        t for t, kept in zip(rebuilt.seconds, rebuilt.dependency_cached, strict=True) if not kept
    ]
    split = f"; {fmt_spread(with_layer)} with it, {fmt_spread(without)} without" if without else ""
    rows = [
        [
            "image size",
            fmt_mb(image_size),
            f"{fmt_ratio(ratio(image_size, floor))} of its floor, "
            f"{fmt_mb(image_size - floor)} above it",
        ],
        [
            f"floor: `{base}` + /opt/venv",
            fmt_mb(floor),
            f"{fmt_mb(base_size)} + {fmt_mb(venv)} (file bytes; `du -sb`: {fmt_mb(venv_du)})",
        ],
        [
            f"cold build (`build --no-cache`), {runs_label(few)}",
            fmt_spread(cold.seconds),
            f"uv cache mount {cold.cache_mount()}; dependency layer "
            f"{fmt_spread(cold.dependency_seconds)}",
        ],
        [
            f"rebuild after a comment appended to src/{SLUG}/main.py, {runs_label(runs)}",
            fmt_spread(rebuilt.seconds),
            f"dependency layer reused {reused}/{runs}{split}; aim < {REBUILD_AIM:.0f} s with it "
            "reused every time: " + ("met" if rebuild_met else "NOT met"),
        ],
        [
            f"rebuild after a comment appended to uv.lock, {runs_label(few)}",
            fmt_spread(relocked.seconds),
            f"dependency layer rerun {few - sum(relocked.dependency_cached)}/{few}, "
            f"{fmt_spread(relocked.dependency_seconds)}; uv cache mount " + relocked.cache_mount(),
        ],
        [
            f"`up -d --wait` until healthy, {runs_label(few)}",
            fmt_spread(ups),
            f"{what_was_up}; migrate exits 0 first",
        ],
        [
            f"`down -v --remove-orphans`, {runs_label(few)}",
            fmt_spread(downs),
            "compose's 20 s stop timeout",
        ],
    ]
    note = (
        f"`fastcel new {SLUG} --defaults --no-setup` in a temp folder, its app image built with "
        f"`docker compose build {BUILT_SERVICE}` (BuildKit); images: {source}. Sizes in decimal "
        "MB, as docker shows them; the floor is what the runtime image cannot go below, its base "
        "image plus the installed virtualenv (the bytes of its files). Times: median wall time "
        "with the range in brackets. `up` starts from the built images (`--no-build --pull "
        "never`); every `up` is followed by a `down -v`."
    )
    return "\n".join([note, "", table(["figure", "value", "detail"], rows)])


def cleanup(stack: Stack, log: Callable) -> None:
    """Bring the stack down with its volumes and remove every image built here."""
    try:
        stack.down()
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        log(f"containers: down failed: {err}")
    current = inspect(stack.tag, "{{.Id}}")
    for image in sorted({*stack.images, *([current] if current else [])}):
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            docker("image", "rm", "--force", image)
    with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
        docker("image", "rm", stack.tag)
