"""`fastcel new` with prompts: driven through a pseudo-terminal, and refused without one."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pexpect
import yaml
from helpers import ROOT, fastcel_exe

from fastcel.questions import is_domain_question

# A project's questions: the domain template's are never asked by `fastcel new`.
CONFIG = {
    key: spec
    for key, spec in yaml.safe_load((ROOT / "copier.yml").read_text()).items()
    if not is_domain_question(key)
}
# The questions a user is asked, in copier.yml's order (NAME answers project_name).
PROMPTS = [
    (key, spec["help"])
    for key, spec in CONFIG.items()
    if not key.startswith("_") and spec.get("when", True) is not False and key != "project_name"
]
DOWN = "\x1b[B"
CLEAR = "\x15"  # Ctrl-U: erase the pre-filled default


def spawn(cwd: Path, *args: str) -> pexpect.spawn:
    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS="200")
    return pexpect.spawn(
        fastcel_exe(),
        ["new", *args],
        cwd=str(cwd),
        env=env,
        dimensions=(50, 200),
        encoding="utf-8",
        timeout=30,
    )


def test_prompts_pick_rabbitmq(tmp_path: Path) -> None:
    child = spawn(tmp_path, "demo", "--no-setup")
    for key, help_text in PROMPTS:
        child.expect(re.escape(help_text))
        if key == "project_slug":
            # A slug that shadows a dependency is refused on the spot, then corrected.
            child.send(CLEAR + "celery")
            child.expect("would shadow")
            child.send(CLEAR + "acme")
        elif key == "description":
            child.send(CLEAR + "Billing for Acme")
        elif key == "broker":
            child.expect(r"RabbitMQ \(AMQP")  # the menu is drawn, Redis selected
            child.send(DOWN)
            child.expect(r"RabbitMQ \(AMQP")  # redrawn with RabbitMQ selected
        elif key == "use_flower":
            child.send("n")
            continue  # a confirm prompt takes the key without Enter
        child.send("\r")
    # The render's line gives no duration: it would count the time spent answering.
    ansi = r"(?:\x1b\[[0-9;]*m)*"
    child.expect(rf"✓ {ansi}render{ansi}  {ansi}([^\r\n\x1b]+)")
    assert child.match.group(1) == str(tmp_path / "demo")
    child.expect("Next steps")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before

    project = tmp_path / "demo"
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["broker"] == "rabbitmq"
    assert recorded["project_slug"] == "acme"
    assert recorded["description"] == "Billing for Acme"
    assert recorded["use_flower"] is False
    assert (project / "src" / "acme").is_dir()
    services = yaml.safe_load((project / "compose.yaml").read_text())["services"]
    assert "rabbitmq" in services
    assert "flower" not in services
    assert "amqp://" in (project / ".env").read_text()


def refused_without_waiting(proc: subprocess.Popen) -> str:
    """The command ends by itself (a hang would hit the wait's bound) with exit code 2."""
    try:
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = proc.stdout.read()
    assert proc.returncode == 2, output
    assert "--defaults" in output
    return output


def test_stdin_a_silent_pipe(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [fastcel_exe(), "new", "demo"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:  # the pipe stays open and silent: Copier's prompts would wait forever
        refused_without_waiting(proc)
    finally:
        proc.stdin.close()
    assert not (tmp_path / "demo").exists()


def test_stdin_closed(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        ["sh", "-c", 'exec "$0" new demo <&-', fastcel_exe()],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = refused_without_waiting(proc)
    assert "Traceback" not in output
    assert not (tmp_path / "demo").exists()


def test_every_answer_given_needs_no_tty(tmp_path: Path) -> None:
    """With every question answered by --data, no prompt is needed and no TTY either."""
    answers = [
        f"{key}={spec['default']}"
        for key, spec in CONFIG.items()
        if not key.startswith("_")
        and spec.get("when", True) is not False
        and key not in {"project_name", "project_slug"}
    ]
    data = [arg for pair in answers for arg in ("-d", pair)] + ["-d", "project_slug=demo"]
    proc = subprocess.run(
        [fastcel_exe(), "new", "demo", "--no-setup", *data],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "demo" / ".copier-answers.yml").exists()
