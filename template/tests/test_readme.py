"""README.md's API example, run as written against a live server (its host and port instead of
localhost:8000): what the README shows a new user is what they get."""

import json
import re
import subprocess

from conftest import PROJECT_ROOT


def readme_block(marker: str) -> str:
    text = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(rf"<!-- {marker} -->\n```bash\n(.*?)```\n<!-- /{marker} -->", text, re.S)
    assert block, f"README.md has no {marker} block"
    return block[1]


def json_values(output: str) -> list:
    """The JSON documents that curl printed one after the other (without newlines)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while at < len(output):
        if output[at].isspace():
            at += 1
            continue
        value, at = decoder.raw_decode(output, at)
        values.append(value)
    return values


def test_the_api_example_works_as_written(live_server, no_login_failures):
    script = readme_block("api-example").replace("localhost:8000", live_server)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    signed_up, me, task, listed = json_values(done.stdout)
    assert signed_up["username"] == "ada" and signed_up["email"] == "ada@example.com"
    assert me == signed_up
    assert task["state"] in {"PENDING", "SUCCESS"}  # the worker may not have run it yet
    assert [entry["task_id"] for entry in listed] == [task["task_id"]]
    assert "password" not in done.stdout
