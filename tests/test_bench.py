"""The benchmark's statistics and formatting helpers (bench/stats.py), its report header and its
command line: plain functions, no timing."""

from __future__ import annotations

import asyncio
import json
import math
import sys
from pathlib import Path

import pytest
from helpers import ROOT

if str(ROOT) not in sys.path:  # `pytest` run without `python -m`: the repository root
    sys.path.insert(0, str(ROOT))

from bench import SLUG, api, concurrency, containers, load, sockets, stats
from bench import readme as readme_of_bench
from bench.__main__ import DEFAULT, parse_args
from bench.machine import memory_gib
from bench.project import Generated


@pytest.mark.parametrize(
    ("values", "expected"),
    [([3.0], 3.0), ([5.0, 1.0, 3.0], 3.0), ([4.0, 1.0, 3.0, 2.0], 2.5), ([2, 2, 2, 9, 100], 2)],
)
def test_median(values: list[float], expected: float) -> None:
    assert stats.median(values) == expected


def test_median_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        stats.median([])


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0, 1.0), (50, 2.5), (100, 4.0), (25, 1.75), (99, 3.97)],
)
def test_percentile_interpolates_between_closest_ranks(q: float, expected: float) -> None:
    # numpy.percentile([4, 1, 3, 2], q) gives the same values.
    assert stats.percentile([4.0, 1.0, 3.0, 2.0], q) == pytest.approx(expected)


def test_percentile_of_a_long_tail() -> None:
    latencies = [1.0] * 98 + [50.0, 100.0]
    assert stats.percentile(latencies, 50) == 1.0
    assert stats.percentile(latencies, 99) == pytest.approx(50.5)
    assert stats.percentile([7.0], 99) == 7.0


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_outside_0_100_is_an_error(q: float) -> None:
    with pytest.raises(ValueError):
        stats.percentile([1.0, 2.0], q)


def test_ratio_and_its_formatting() -> None:
    assert stats.ratio(3.0, 2.0) == 1.5
    assert math.isnan(stats.ratio(1.0, 0.0))
    assert stats.fmt_ratio(stats.ratio(1.0, 3.0)) == "0.33x"
    assert stats.fmt_ratio(math.nan) == "n/a"


def test_number_formatting() -> None:
    assert stats.fmt_seconds(0.8504) == "850 ms"
    assert stats.fmt_seconds(19.456) == "19.46 s"
    assert stats.fmt_ms(3.14159) == "3.14 ms"
    assert stats.fmt_ms(89.64) == "89.6 ms"
    assert stats.fmt_rate(12345.6) == "12,346/s"
    assert stats.fmt_rate(812.2, " msg/s") == "812 msg/s"
    assert stats.fmt_rate(math.nan) == "n/a"


def test_table_is_markdown_with_escaped_cells() -> None:
    text = stats.table(["command", "time"], [["a | b", "1 s"], ["c\nd", 2]])
    assert text.splitlines() == [
        "| command | time |",
        "|---|---|",
        "| a \\| b | 1 s |",
        "| c d | 2 |",
    ]


def test_table_refuses_a_row_of_the_wrong_width() -> None:
    with pytest.raises(ValueError):
        stats.table(["a", "b"], [["only one"]])


def test_memory_from_meminfo() -> None:
    meminfo = "MemTotal:       24684096 kB\nMemFree:        22094504 kB\n"
    assert memory_gib(meminfo) == pytest.approx(23.54, abs=0.01)
    assert memory_gib("nothing here") == 0.0


def test_sections_from_the_command_line() -> None:
    assert parse_args([]).sections == list(DEFAULT)
    assert parse_args(["--matrix"]).sections == [*DEFAULT, "matrix"]
    assert parse_args(["--only", "api,worker", "--runs", "7"]).sections == ["api", "worker"]
    assert parse_args(["--only", "matrix"]).runs == 5
    assert parse_args(["--readme"]).readme and not parse_args([]).readme
    with pytest.raises(SystemExit):
        parse_args(["--only", "apis"])
    with pytest.raises(SystemExit):
        parse_args(["--runs", "0"])


def test_paired_ratios_pair_runs_and_show_their_range() -> None:
    ratios = stats.paired_ratios([110.0, 90.0, None], [100.0, 100.0, 100.0])
    assert ratios[:2] == [pytest.approx(1.1), pytest.approx(0.9)]
    assert math.isnan(ratios[2])
    assert stats.fmt_paired(ratios) == "1.00x (0.90-1.10)"
    assert stats.fmt_paired([math.nan]) == "n/a"
    with pytest.raises(ValueError):
        stats.paired_ratios([1.0], [1.0, 2.0])


def test_little_law_latency_of_closed_loop_clients() -> None:
    # 32 clients that each wait for their answer, served at 640 req/s, spend 50 ms per request.
    assert api.little_ms(640.0) == pytest.approx(50.0)
    assert math.isnan(api.little_ms(0.0))


def test_enqueue_verdict_judges_the_median_and_shows_every_run() -> None:
    row = {
        "broker": "redis",
        "rps_ratio": 0.98,
        "generated": {"rps": 1000.0, "p99": 48.0, "p99_runs": [44.0, 48.0, 52.5]},
    }
    line = api.enqueue_verdict(row)
    assert "0.98x the baseline's rate (NOT met: >= 1.00x)" in line
    assert "p99 is 48.0 ms (met: < 50 ms; runs 44.0 ms to 52.5 ms, 2 of 3 under)" in line
    assert "32 connections at 1,000 req/s keep each request 32.0 ms on average" in line


def test_report_goes_between_the_readme_markers() -> None:
    readme = "# fastcel\n\n## Performance\n\n<!-- bench -->\nold\n<!-- /bench -->\n\n## Next\n"
    report = "# fastcel benchmarks\n\n- date: today\n\n## Generation\n\n| a |\n|---|\n| 1 |\n"
    spliced = readme_of_bench.splice(readme, report)
    assert spliced == (
        "# fastcel\n\n## Performance\n\n<!-- bench -->\n- date: today\n\n### Generation\n\n"
        "| a |\n|---|\n| 1 |\n<!-- /bench -->\n\n## Next\n"
    )
    assert readme_of_bench.splice(spliced, report) == spliced


def test_readme_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="<!-- bench -->"):
        readme_of_bench.splice("# fastcel\n", "# fastcel benchmarks\n")


def test_enqueue_verdict_judges_the_rate_against_the_authenticated_target() -> None:
    row = {
        "broker": "rabbitmq",
        "rps_ratio": 0.92,
        "generated": {"rps": 900.0, "p99": 40.0, "p99_runs": [40.0]},
    }
    line = api.enqueue_verdict(row, api.RATE_TARGET)
    assert "0.92x the baseline's rate (met: >= 0.90x)" in line
    assert "(NOT met: >= 0.90x)" in api.enqueue_verdict({**row, "rps_ratio": 0.89}, 0.9)


def test_bearer_header_reaches_wrk_command_line() -> None:
    headers = api.auth_header("abc.def.ghi")
    assert headers == {"Authorization": "Bearer abc.def.ghi"}
    command = load.wrk_command("http://127.0.0.1:8000/tasks/divide", 2.0, "bench.lua", headers)
    assert command[:4] == ["wrk", "-t2", f"-c{load.CONNECTIONS}", "-d2s"]
    assert command[command.index("-H") + 1] == "Authorization: Bearer abc.def.ghi"
    assert command[-1] == "http://127.0.0.1:8000/tasks/divide"
    assert "-H" not in load.wrk_command("http://127.0.0.1:8000/health", 1.0, "bench.lua", {})


def test_bearer_header_reaches_the_asyncio_fallbacks_request() -> None:
    body = '{"x": 1, "y": 2}'
    request = load.request_bytes(
        "http://127.0.0.1:8000/tasks/divide", "POST", body, {"Authorization": "Bearer t0k"}
    )
    head, _, payload = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /tasks/divide HTTP/1.1"
    assert "Authorization: Bearer t0k" in lines
    assert f"Content-Length: {len(body)}" in lines
    assert payload == body.encode()
    plain = load.request_bytes("http://127.0.0.1:8000/health", "GET", "", {})
    assert plain == b"GET /health HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"


@pytest.mark.parametrize(
    "headers", [{"X-A": "b\r\nX-Injected: 1"}, {"Bad Name": "x"}, {"": "x"}, {"A:B": "x"}]
)
def test_headers_that_would_break_the_request_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="unusable request header"):
        load.check_headers(headers)
    with pytest.raises(ValueError):
        load.run_load("http://127.0.0.1:1/", "GET", "", 0.1, 1, headers)


def test_load_and_set_up_requests_only_target_loopback() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        load.run_load("http://localhost:8000/health", "GET", "", 0.1, 1)
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        api.bearer_token("http://example.com", "password")


def test_only_the_generated_enqueue_is_authenticated() -> None:
    authenticated = [label for label, *_rest, auth in api.ENDPOINTS if auth]
    assert authenticated == ["POST /tasks/divide"]


def test_bench_database_settings_replace_the_projects_env_file() -> None:
    database = api.Database("postgresql+psycopg://postgres@127.0.0.1:5432/bench_api_x")
    env = database.env()
    assert env["DATABASE_URL"].endswith("/bench_api_x")
    assert len(env["APP_SECRET_KEY"]) >= 32
    assert env["FIRST_SUPERUSER_EMAIL"] == ""
    assert 8 <= len(database.password) <= 128


def load_point(processes: int, endpoint: str, clients: int, ok_rps: float, **extra) -> dict:
    point = {"processes": processes, "endpoint": endpoint, "clients": clients, "ok_rps": ok_rps}
    point.update({"p50": 5.0, "p99": 20.0, "refused": 0, "unanswered": 0, "recovery": 0.1})
    return {**point, **extra}


def test_load_verdicts_judge_the_rate_kept_the_unanswered_and_the_p99() -> None:
    rows = [
        load_point(1, "GET /users/me", 30, 500.0),
        load_point(1, "GET /users/me", 60, 480.0, p99=240.0),
        load_point(1, "GET /users/me", 200, 400.0),
        load_point(1, "POST /tasks/divide", 30, 500.0),
        load_point(1, "POST /tasks/divide", 60, 90.0, p99=30_000.0, unanswered=35),
        load_point(1, "POST /tasks/divide", 200, 9.0, unanswered=120),
    ]
    read, enqueue = concurrency.verdicts(rows)
    assert read == (
        "- 1 process, GET /users/me: rate at 200 clients 0.80x the rate at 30 (met: >= 0.80x); "
        "0 unanswered (met: 0); p99 at 60 clients 240.0 ms (met: < 250 ms)"
    )
    assert "0.02x the rate at 30 (NOT met: >= 0.80x)" in enqueue
    assert "155 unanswered (NOT met: 0)" in enqueue
    assert "p99 at 60 clients 30000.0 ms (NOT met: < 250 ms)" in enqueue


def test_load_report_says_never_for_a_server_that_did_not_answer_again() -> None:
    text = concurrency.report([load_point(2, "GET /users/me", 30, 100.0, recovery=math.nan)])
    row = next(line for line in text.splitlines() if line.startswith("| 2 |"))
    assert row.endswith("| never |")
    assert "- 2 processes, GET /users/me:" in text


def test_load_server_is_the_projects_own_entry_point_when_it_has_one(tmp_path: Path) -> None:
    project = Generated(tmp_path)
    plain = concurrency.server_command(project, 8123, 2)
    assert plain[0].endswith("uvicorn") and plain[1] == f"{SLUG}.main:app"
    (tmp_path / "src" / SLUG).mkdir(parents=True)
    (tmp_path / "src" / SLUG / "serve.py").write_text("")
    own = concurrency.server_command(project, 8123, 2)
    assert own[1:3] == ["-m", f"{SLUG}.serve"]
    for command in (plain, own):
        assert command[command.index("--workers") + 1] == "2"
        assert command[command.index("--port") + 1] == "8123"


def test_load_clients_reach_wrk_and_only_2xx_count_as_served() -> None:
    command = load.wrk_command("http://127.0.0.1:8000/users/me", 3.0, "b.lua", {}, connections=200)
    assert "-c200" in command
    result = load.LoadResult(requests=1000, seconds=2.0, p50_ms=1, p99_ms=2, errors=200)
    assert (result.rps, result.ok_rps) == (500.0, 400.0)


def test_fallback_notices_a_response_that_closes_the_connection() -> None:
    async def read(raw: bytes) -> tuple[int, bool]:
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        return await load._read_response(reader)

    refused = (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\nConnection: close\r\n\r\n..."
    )
    assert asyncio.run(read(refused)) == (503, True)
    assert asyncio.run(read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")) == (200, False)


def test_template_option_needs_a_template_root(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--template", str(tmp_path)])
    (tmp_path / "copier.yml").write_text("")
    assert parse_args(["--template", str(tmp_path)]).template == tmp_path
    assert parse_args([]).template is None
    assert "load" in DEFAULT and "sockets" in DEFAULT


def socket_point(backend: str, count: int, ready_p50: float, closed: int = 0) -> dict:
    probe = {"ok_rps": 100.0, "p50": ready_p50, "p99": 2 * ready_p50, "failed": 0}
    point = {"backend": backend, "sockets": count, "db_connections": 4, "closed": closed}
    return {**point, **{label: dict(probe) for label, _path in sockets.PROBES}}


def test_socket_verdicts_judge_the_readiness_p50_at_the_most_sockets() -> None:
    rows = [
        socket_point("redis", 0, 20.0),
        socket_point("redis", 2000, 31.0),
        socket_point("postgres", 0, 25.0),
        socket_point("postgres", 2000, 60.0, closed=3),
    ]
    redis, postgres = sockets.verdicts(rows)
    assert redis == (
        "- redis result backend: GET /health/ready p50 at 2000 sockets 31.0 ms "
        "(met: < 50 ms); 0 socket(s) closed by the server during the runs"
    )
    assert "60.0 ms (NOT met: < 50 ms); 3 socket(s) closed" in postgres
    table_rows = [line for line in sockets.report(rows).splitlines() if line.startswith("| ")]
    assert len(table_rows) == 1 + len(rows) * len(sockets.PROBES)  # the header, then the points


def test_socket_bench_reads_results_where_the_project_would() -> None:
    database = api.Database("postgresql+psycopg://postgres@127.0.0.1:5432/bench_ws_x")
    redis = sockets.backend_env("redis", database, "bench-ws-q")
    postgres = sockets.backend_env("postgres", database, "bench-ws-q")
    assert redis["CELERY_RESULT_BACKEND"].startswith("redis://127.0.0.1")
    assert postgres["CELERY_RESULT_BACKEND"] == ""  # the project's own database
    for env in (redis, postgres):
        assert int(env["WS_MAX_CONNECTIONS"]) > max(sockets.SOCKETS)
        assert int(env["WS_MAX_PER_USER"]) > max(sockets.SOCKETS)
        assert int(env["WEB_LIMIT_CONCURRENCY"]) > int(env["WS_MAX_CONNECTIONS"])


# A `docker compose --progress=plain build` log, shortened: a rebuild after a source change.
BUILD_LOG = """\
#5 [web builder 1/7] FROM docker.io/library/python:3.12-slim
#5 DONE 0.0s
#9 [web builder 4/7] RUN --mount=type=cache,target=/root/.cache/uv     uv sync --locked --no-dev \
--no-install-project --no-editable
#9 CACHED
#13 [web builder 6/7] COPY src ./src
#13 DONE 0.1s
#14 [web builder 7/7] RUN --mount=type=cache,target=/root/.cache/uv     uv sync --locked --no-dev
#14 0.492 Resolved 99 packages in 1ms
#14 1.339 Prepared 1 package in 842ms
#15 [web runtime 4/6] COPY --from=builder /opt/venv /opt/venv
#14 1.498  + demo==0.1.0 (from file:///build)
#14 DONE 1.6s
#15 DONE 0.8s
#18 [web] exporting to image
#18 writing image sha256:%s done
#18 DONE 0.7s
""" % ("ab" * 32)


def test_build_log_steps_with_their_cache_state_output_and_time() -> None:
    steps = containers.parse_steps(BUILD_LOG)
    dependency = containers.dependency_step(steps)
    assert dependency is not None and dependency.cached and dependency.seconds is None
    project = steps["14"]
    assert not project.cached and project.seconds == 1.6
    assert project.output[-1] == " + demo==0.1.0 (from file:///build)"  # interleaved, in order
    assert containers.uv_downloads(project) == 1
    assert containers.uv_downloads(dependency) == 0
    assert containers.rerun_steps(steps) == [
        "COPY src ./src",
        "RUN --mount=type=cache,target=/root/.cache/uv     uv sync --locked --no-dev",
        "COPY --from=builder /opt/venv /opt/venv",
    ]  # FROM and exporting are no Dockerfile step that can be CACHED
    assert containers.image_id(BUILD_LOG) == "sha256:" + "ab" * 32
    assert containers.image_id("#1 DONE 0.0s") is None
    assert containers.dependency_step(containers.parse_steps("#1 [web] COPY . .")) is None


def test_cold_and_warm_uv_cache_mounts_are_told_apart() -> None:
    builds = containers.Builds()
    cold = containers.parse_steps(
        "#9 [b 4/7] RUN uv sync --no-install-project\n#9 1.8 Prepared 58 packages in 1.3s\n"
        "#9 DONE 4.7s\n#10 [b 5/7] COPY src ./src\n#10 DONE 0.1s"
    )
    builds.add(9.9, cold)
    assert builds.fetched == [58] and builds.dependency_seconds == [4.7]
    assert builds.cache_mount() == "cold (uv fetched 58 packages)"
    warm = containers.Builds()
    warm.add(
        8.0, containers.parse_steps("#9 [b 4/7] RUN uv sync --no-install-project\n#9 DONE 5.1s")
    )
    assert warm.cache_mount() == "warm (uv fetched nothing)"
    assert warm.all_cached == [False]
    with pytest.raises(RuntimeError, match="no-install-project"):
        containers.Builds().add(1.0, containers.parse_steps("#1 [b 1/2] COPY src ./src"))


def test_image_sizes_from_du_and_the_dockerfile_base() -> None:
    assert containers.parse_du("131084012\t/opt/venv\n") == 131_084_012
    assert containers.parse_du("128073419\n") == 128_073_419
    for bad in ("", "du: cannot access '/opt/venv'"):
        with pytest.raises(ValueError):
            containers.parse_du(bad)
    dockerfile = (
        "# builder\nFROM python:3.12-slim AS builder\n"
        "COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv\n"
        "FROM --platform=linux/amd64 python:3.12-slim AS runtime\n"
        "COPY --from=builder /opt/venv /opt/venv\n"
    )
    assert containers.runtime_base(dockerfile) == "python:3.12-slim"
    assert containers.dockerfile_images(dockerfile) == [
        "ghcr.io/astral-sh/uv:0.13.9",
        "python:3.12-slim",
    ]  # the stage `builder` is no image
    with pytest.raises(ValueError):
        containers.runtime_base("RUN true\n")
    assert containers.fmt_mb(376_512_345) == "376.5 MB"
    assert containers.fmt_mb(61_440) == "61 kB"  # an overhead above the floor
    assert containers.fmt_mb(math.nan) == "n/a"


def test_compose_override_retags_only_the_built_services() -> None:
    config = {
        "services": {
            "db": {"image": "postgres:17"},
            "web": {"image": "demo:latest", "build": {"context": "."}},
            "migrate": {"image": "demo:latest", "build": {"context": "."}},
            "redis": {"image": "redis:7-alpine"},
        }
    }
    assert containers.built_services(config) == ["migrate", "web"]
    assert containers.service_images(config) == ["postgres:17", "redis:7-alpine"]
    override = json.loads(containers.override(["migrate", "web"], "fastcel-bench-1-app:latest"))
    assert override == {
        "services": {
            "migrate": {"image": "fastcel-bench-1-app:latest"},
            "web": {"image": "fastcel-bench-1-app:latest"},
        }
    }


def test_times_with_their_range_and_the_change_that_keeps_dependencies(tmp_path: Path) -> None:
    assert containers.fmt_spread([]) == "n/a"
    assert containers.fmt_spread([4.2]) == "4.20 s"
    assert containers.fmt_spread([5.0, 0.9, 12.0]) == "5.00 s (900 ms-12.00 s)"
    assert [containers.runs_label(n) for n in (1, 3)] == ["1 run", "3 runs"]
    source = tmp_path / "main.py"
    source.write_text("app = 1\n")
    containers.append_comment(source, "p1 0 abcd")
    assert source.read_text() == "app = 1\n# bench p1 0 abcd\n"


def test_containers_section_is_listed_but_not_in_the_default_run() -> None:
    assert "containers" not in DEFAULT
    assert parse_args(["--only", "containers"]).sections == ["containers"]
    assert parse_args(["--only", "containers,api"]).sections == ["api", "containers"]
