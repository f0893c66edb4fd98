"""`fastcel new --template T --vcs-ref REF` checks `--data` against the questions at REF, the
ones Copier renders with, not against T's working tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import commit_all, lines, make_template
from typer.testing import CliRunner

from fastcel.cli import app

RABBITMQ_CHOICE = "    RabbitMQ (AMQP, durable queues, richer routing): rabbitmq\n"


@pytest.fixture
def template(tmp_path_factory) -> Path:
    """fastcel's questions, tagged v1.0.0; then a commit that drops the RabbitMQ choice."""
    template = make_template(
        tmp_path_factory.mktemp("template"), readme="# {{ project_name }}: {{ broker }}\n"
    )
    config = (template / "copier.yml").read_text()
    assert RABBITMQ_CHOICE in config
    (template / "copier.yml").write_text(config.replace(RABBITMQ_CHOICE, ""))
    commit_all(template, "Redis only")
    return template


def new(runner: CliRunner, template: Path, ref: str):
    args = ["new", "demo", "--defaults", "--no-setup", "--template", str(template)]
    return runner.invoke(app, [*args, "--vcs-ref", ref, "--data", "broker=rabbitmq"])


def test_an_answer_valid_at_the_ref_is_accepted(
    runner: CliRunner, in_tmp: Path, template: Path
) -> None:
    result = new(runner, template, "v1.0.0")
    assert result.exit_code == 0, result.output
    assert (in_tmp / "demo" / "README.md").read_text() == "# demo: rabbitmq\n"


def test_an_answer_gone_at_the_ref_is_refused(
    runner: CliRunner, in_tmp: Path, template: Path
) -> None:
    result = new(runner, template, "HEAD")
    assert result.exit_code == 2, result.output
    shown = lines(result.output)
    assert len(shown) == 1 and "broker" in shown[0] and "rabbitmq" in shown[0], result.output
    assert list(in_tmp.iterdir()) == []
