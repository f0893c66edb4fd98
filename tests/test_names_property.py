"""Project names, property-based: every bad NAME is refused by `fastcel new` in one line with
exit code 2 and nothing written; every good NAME gives a package name (`project_slug`) that is an
importable, unshadowed Python package.

test_questions.py checks that fastcel's early check agrees with Copier's own verdict; this file
checks that the verdict itself is right, against oracles that do not come from copier.yml:
`keyword`, `sys.stdlib_module_names` and the dependencies in the template's pyproject.toml.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import keyword
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from helpers import ROOT
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from typer.testing import CliRunner

from fastcel import cli_answers, questions
from fastcel.cli import app
from fastcel.errors import UsageError

QUESTIONS = questions.load_questions(ROOT)
SLUG_SHAPE = re.compile(r"[a-z][a-z0-9_]*")
# A good NAME: a letter of any script, then letters, digits, '-', '_' or spaces; at most 63
# characters. ASCII_NAME: the good names whose slug is their own letters and digits.
GOOD_NAME = re.compile(r"[^\W\d_][\w -]{0,62}")
ASCII_NAME = r"[A-Za-z][A-Za-z0-9 _-]{0,62}"
NAME_CHARS = "abcxyzABCXYZ0129 _-"

# Oracles -----------------------------------------------------------------------------

KEYWORDS = sorted(
    {k.lower() for k in keyword.kwlist} | {k for k in keyword.softkwlist if k != "_"} | {"type"}
)
# Modules that 3.12 and 3.13 removed: projects may still run on 3.11 (a python_version choice).
REMOVED_FROM_STDLIB = {
    "aifc", "asynchat", "asyncore", "audioop", "cgi", "cgitb", "chunk", "crypt", "distutils",
    "imghdr", "imp", "lib2to3", "mailcap", "msilib", "nis", "nntplib", "ossaudiodev", "pipes",
    "smtpd", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
}  # fmt: skip
STDLIB = sorted(
    {n for n in sys.stdlib_module_names if SLUG_SHAPE.fullmatch(n)}
    | REMOVED_FROM_STDLIB
    | {"test"}  # the standard library's own test package
)


# Dependencies whose import name is not their distribution's name (the others import as it).
IMPORTED_AS = {"pyjwt": "jwt", "pillow": "pil"}


def direct_dependencies() -> set[str]:
    """Import names of every dependency in the template's pyproject.toml, whatever the answers
    (a dependency that only some answers add, e.g. flower, counts)."""
    text = (ROOT / "template" / "pyproject.toml.jinja").read_text()
    names = set()
    for line in re.findall(r'(?m)^\s*"([^"]+)",?\s*$', text):
        requirement = Requirement(re.sub(r"\{%.*?%\}", "", line))
        name = re.sub(r"[-_.]+", "_", requirement.name).lower()
        names.add(IMPORTED_AS.get(name, name))
    return names


# What those dependencies install in turn, by import name: the environment the runtime
# matrix prepares (all answers; the dev extra included, schemathesis and what it pulls in), and
# what other platforms or versions add.
TRANSITIVE = {
    "attr", "attrs", "public",
    "cfgv", "distlib", "filelock", "httpcore2", "identify", "nodeenv", "platformdirs",
    "python_discovery", "truststore", "virtualenv",
    "amqp", "annotated_doc", "annotated_types", "anyio", "argon2", "billiard", "certifi", "cffi",
    "charset_normalizer", "click", "click_didyoumean", "click_plugins", "click_repl", "colorama",
    "dateutil", "dns", "dotenv", "graphql", "greenlet", "h11", "harfile", "httpcore", "httptools",
    "humanize", "hypothesis", "hypothesis_graphql", "idna", "iniconfig", "jsonschema_rs", "kombu",
    "mako", "markdown_it", "markupsafe", "mdurl", "multipart", "opentelemetry", "packaging",
    "pluggy", "prometheus_client", "prompt_toolkit", "psycopg_binary", "psycopg_c", "psycopg_pool",
    "py", "pycparser", "pydantic", "pydantic_core", "pygments", "pyrate_limiter", "pytz", "redis",
    "requests", "rich", "six", "sniffio", "sortedcontainers", "starlette", "tornado",
    "typing_extensions", "typing_inspection", "tzdata", "tzlocal", "urllib3", "uvloop", "vine",
    "watchfiles", "wcwidth", "websockets", "werkzeug", "yaml",
}  # fmt: skip
DIRECT = direct_dependencies()
INSTALLED = sorted(DIRECT | TRANSITIVE)
# The project's top-level folders, and its tests' helper modules (pytest puts tests/ on sys.path).
OWN_FOLDERS = sorted(
    {p.name for p in (ROOT / "template").iterdir() if p.is_dir() and p.name.isidentifier()}
    | {
        p.name.split(".")[0]
        for p in (ROOT / "template" / "tests").iterdir()
        if p.name.split(".")[0].isidentifier() and not p.name.startswith("test_")
    }
)
SHADOWED = sorted(set(STDLIB) | set(INSTALLED) | set(OWN_FOLDERS))
# Device names that Windows refuses as a file or folder name, whatever the extension.
WINDOWS_RESERVED = sorted(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)}
)


def expected_refusal(slug: str) -> str | None:
    """Why a well-formed slug must be refused (a fragment of the message), or None."""
    if len(slug) > 40:
        return "at most 40 characters"
    if slug in KEYWORDS:
        return "Python keyword"
    if slug in SHADOWED:
        return "would shadow"
    if slug in WINDOWS_RESERVED:
        return "reserved file name on Windows"
    return None


def test_oracles_hold_what_they_should() -> None:
    assert {"fastapi", "celery", "sqlalchemy", "pydantic_settings", "flower", "pytest"} <= DIRECT
    assert {"jwt", "pwdlib", "python_multipart", "zxcvbn"} <= DIRECT and "pyjwt" not in DIRECT
    assert {"os", "json", "typing", "asyncio", "sqlite3", "distutils"} <= set(STDLIB)
    assert {"class", "import", "none", "match", "type"} <= set(KEYWORDS)


@pytest.mark.parametrize("group", ["keywords", "stdlib", "installed", "own folders", "windows"])
def test_every_reserved_slug_is_refused(group: str) -> None:
    """Exhaustive: each keyword, standard module and installed package, as a NAME and as
    --data project_slug, is refused for the right reason."""
    names = {
        "keywords": KEYWORDS,
        "stdlib": STDLIB,
        "installed": INSTALLED,
        "own folders": OWN_FOLDERS,
        "windows": WINDOWS_RESERVED,
    }[group]
    let_through = []
    for slug in names:
        reason = expected_refusal(slug)
        error = questions.validator_error("project_slug", slug)
        if error is None or reason not in error:
            let_through.append((slug, error))
    assert let_through == []


def test_validation_messages_fit_a_prompt_line() -> None:
    """Copier shows a refused answer's message on one line under the prompt: an 80-column
    terminal shows every message whole (for package names of up to 12 characters)."""
    samples = [("project_name", n) for n in ("1abc", "a" * 70, "a!b", "-x")]
    samples += [("project_slug", s) for s in ("Bad-Slug", "a" * 41, "x" * 12)]
    samples += [("project_slug", s) for s in SHADOWED + KEYWORDS + WINDOWS_RESERVED if len(s) <= 12]
    samples += [("author_email", "x")]
    too_long = [
        message
        for key, value in samples
        if (message := questions.validator_error(key, value)) and len(message) > 78
    ]
    assert too_long == []


# Bad names, through the CLI -----------------------------------------------------------


def lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def assert_refused(runner: CliRunner, cwd: Path, name: str, *fragments: str) -> None:
    """`fastcel new NAME --defaults --no-setup`: exit 2, one line of error, nothing written."""
    result = runner.invoke(app, ["new", "--defaults", "--no-setup", "--", name])
    assert result.exit_code == 2, (name, result.output)
    shown = lines(result.output)
    assert len(shown) == 1, (name, result.output)
    assert shown[0].startswith("Error: "), shown[0]
    for fragment in fragments:
        assert fragment in shown[0], (name, shown[0])
    assert list(cwd.iterdir()) == [], name


def bad(examples: int) -> settings:
    """Each example is one CLI call in the same empty folder (`in_tmp`), which must stay empty."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


safe_text = st.text(alphabet=NAME_CHARS, max_size=10)
letter = st.sampled_from("aZq")
separators = st.sampled_from(["-", "_", " ", "--", " - ", "__", "_-_"])


@st.composite
def spelled(draw: st.DrawFn, slug: str) -> str:
    """A NAME whose derived slug is `slug`: any case, any run of separators for '_'."""
    name = draw(separators).join(slug.split("_"))
    name = "".join(c.upper() if draw(st.booleans()) else c for c in name)
    return name + draw(st.sampled_from(["", "", "-", "_", " "]))


@bad(120)
@given(
    name=st.builds(
        lambda a, sep, b: a + sep + b, st.text(max_size=10), st.sampled_from("/\\"), st.text()
    )
)
@example(name="a/b")
@example(name="../demo")
@example(name="/")
@example(name="C:\\Users\\demo")
def test_path_separators(runner: CliRunner, in_tmp: Path, name: str) -> None:
    assert_refused(runner, in_tmp, name, "path separator")


@bad(60)
@given(
    name=st.one_of(
        st.sampled_from(["..", ".", "...", "a..b", "..a", "a..", ". .", ".. "]),
        st.builds(lambda a, b: a + ".." + b, safe_text, safe_text),
    )
)
def test_dots(runner: CliRunner, in_tmp: Path, name: str) -> None:
    assert_refused(runner, in_tmp, name)


@bad(120)
@given(
    name=st.builds(
        lambda a, ch, b: a + ch + b, letter, st.characters(categories=["Cc"]), st.text(max_size=8)
    ).filter(lambda n: "/" not in n and "\\" not in n)
)
@example(name="a\x00b")
@example(name="demo\n")
@example(name="de\tmo")
@example(name="demo\x1b[31m")
@example(name="demo\x7f")
@example(name="demo\x85")  # a C1 control: NEL, a line break to str.splitlines()
def test_control_characters(runner: CliRunner, in_tmp: Path, name: str) -> None:
    assert_refused(runner, in_tmp, name, "control characters")


@bad(60)
@given(name=st.from_regex(r"[0-9][A-Za-z0-9 _-]{0,30}", fullmatch=True))
def test_leading_digit(runner: CliRunner, in_tmp: Path, name: str) -> None:
    assert_refused(runner, in_tmp, name, "must start with a letter")


@bad(100)
@given(name=st.sampled_from(KEYWORDS).flatmap(spelled))
@example(name="class")
@example(name="Import")
@example(name="None")
@example(name="async-")
def test_python_keywords(runner: CliRunner, in_tmp: Path, name: str) -> None:
    assert_refused(runner, in_tmp, name, "Python keyword")


@bad(300)
@given(name=st.sampled_from(SHADOWED).flatmap(spelled))
@example(name="celery")
@example(name="FastAPI")
@example(name="os")
@example(name="JSON")
@example(name="typing")
@example(name="Pydantic Settings")
@example(name="email-validator")
@example(name="sqlite3")
@example(name="Tests")
def test_shadowing_names(runner: CliRunner, in_tmp: Path, name: str) -> None:
    assert_refused(runner, in_tmp, name, "would shadow")


@bad(40)
@given(
    name=st.builds(lambda a, b: a + b, letter, st.text(alphabet=NAME_CHARS, min_size=100)).filter(
        lambda n: len(n) > 100
    )
)
def test_very_long_names(runner: CliRunner, in_tmp: Path, name: str) -> None:
    assert_refused(runner, in_tmp, name, "at most 63 characters")


EMOJI = ["🚀", "🐍", "😀", "👩‍💻", "🇫🇷", "❤️", "🙂"]
# Not letters or digits: marks, symbols, punctuation, other spaces, format characters.
not_a_name_char = st.one_of(
    st.characters(min_codepoint=0x80, categories=["M", "S", "Pd", "Po", "Zs", "Cf"]),
    st.sampled_from(EMOJI),
)


@bad(150)
@given(
    name=st.builds(
        lambda a, ch, b: a + ch + b, letter, not_a_name_char, st.text(NAME_CHARS, max_size=6)
    )
)
@example(name="demo🚀")
@example(name="demo\u200d")  # zero-width joiner
@example(name="e\u0301")  # a combining accent
@example(name="a\u00a0b")  # a no-break space
def test_names_with_symbols_or_marks_are_refused(
    runner: CliRunner, in_tmp: Path, name: str
) -> None:
    assert_refused(runner, in_tmp, name, "hold only letters, digits, spaces")


any_letter = st.characters(min_codepoint=0x80, categories=["Lu", "Ll", "Lt", "Lm", "Lo"])


@settings(max_examples=200, deadline=None, database=None)
@given(
    name=st.builds(
        lambda a, ch, b: a + ch + b, st.text(NAME_CHARS, max_size=6), any_letter, safe_text
    ).filter(lambda n: GOOD_NAME.fullmatch(n))
)
@example(name="café")
@example(name="Ünïcödé")
@example(name="Ⅻ")  # a letter-like number
@example(name="\u212aelvin")  # KELVIN SIGN: lowercases to an ASCII "k"
@example(name="日本語")
@example(name="Дом")
def test_names_in_any_script_get_an_ascii_package_name(name: str) -> None:
    """Accepted with a transliterated ASCII slug, or refused in one line that asks for
    --data project_slug when none can be derived (or the derived one is taken)."""
    try:
        data = cli_answers.resolve_answers(name, [], None, QUESTIONS)
    except UsageError as err:
        assert "--data project_slug=" in err.message, err.message
        assert "\n" not in err.message
        return
    slug = data.get("project_slug") or questions.slug_from_name(name)
    assert SLUG_SHAPE.fullmatch(slug) and slug.isascii(), (name, slug)
    assert questions.validator_error("project_slug", slug) is None
    assert ("project_slug" in data) is (not name.isascii())


def test_a_unicode_name_renders_its_transliterated_package(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["new", "Über Tool", "--defaults", "--no-setup"])
    assert result.exit_code == 0, result.output
    project = in_tmp / "Über Tool"
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["project_name"] == "Über Tool" and recorded["project_slug"] == "uber_tool"
    assert (project / "src" / "uber_tool" / "__init__.py").is_file()


@bad(300)
@given(name=st.text(max_size=80).filter(lambda n: not GOOD_NAME.fullmatch(n)))
@example(name="")
@example(name="   ")
@example(name="\udcff")  # an undecodable byte of argv (surrogateescape)
@example(name="demo\u2028")  # a line separator to str.splitlines()
def test_anything_that_is_not_a_good_name_is_refused(
    runner: CliRunner, in_tmp: Path, name: str
) -> None:
    assert_refused(runner, in_tmp, name)


# Good names ----------------------------------------------------------------------------


good_names = st.one_of(
    st.from_regex(ASCII_NAME, fullmatch=True),
    st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,15}", fullmatch=True),
    st.sampled_from(SHADOWED + KEYWORDS).flatmap(spelled),  # well-formed, but taken
)


@settings(max_examples=400, deadline=None, database=None)
@given(name=good_names)
@example(name="Acme Billing")
@example(name="a" * 40)
@example(name="a" * 41)
@example(name="My-Service 2")
@example(name="x__y--z  ")
@example(name="celery-tools")
@example(name="OS Tools")
def test_good_names_give_a_valid_package_name(name: str) -> None:
    """A good NAME is accepted exactly when its slug is free; an accepted slug is a lowercase,
    non-keyword, unshadowed Python identifier made of the NAME's letters and digits."""
    assert re.fullmatch(ASCII_NAME, name)
    slug = questions.slug_from_name(name)
    assert SLUG_SHAPE.fullmatch(slug), slug
    assert slug.replace("_", "") == re.sub(r"[^a-z0-9]", "", name.lower())
    assert "__" not in slug and not slug.endswith("_")
    reason = expected_refusal(slug)
    try:
        data = cli_answers.resolve_answers(name, [], None, QUESTIONS)
    except UsageError as err:
        assert reason is not None, (name, slug, err.message)
        assert reason in err.message, err.message
        return
    assert reason is None, (name, slug)
    assert data == {"project_name": name}
    assert slug.isidentifier() and slug.isascii() and len(slug) <= 40
    assert not keyword.iskeyword(slug) and not keyword.issoftkeyword(slug)
    assert slug not in SHADOWED


def located(slug: str, *path: Path, site: bool = False) -> str | None:
    """Where a fresh interpreter (standard library only) finds `slug`, with `path` appended
    to sys.path as an editable install does: the origin of its spec."""
    code = (
        "import importlib.util, sys; sys.path += sys.argv[2:]; "
        "spec = importlib.util.find_spec(sys.argv[1]); print(spec.origin if spec else '')"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", code, slug, *map(str, path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() or None


def test_located_sees_shadowing() -> None:
    """The check below would notice a package shadowed by the standard library."""
    with tempfile.TemporaryDirectory() as src:
        (Path(src) / "json").mkdir()
        (Path(src) / "json" / "__init__.py").write_text("")
        assert located("json", Path(src)) != str(Path(src) / "json" / "__init__.py")


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,24}", fullmatch=True).filter(
        lambda n: expected_refusal(questions.slug_from_name(n)) is None
    )
)
@example(name="Acme Billing-API")
def test_good_names_render_an_importable_package(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    """Real renders: the package is at src/<slug>, found there with only src on the path, and
    the standard library does not hide it when src comes last on sys.path."""
    cwd = Path(tempfile.mkdtemp(dir=tmp_path))
    with contextlib.chdir(cwd):
        result = runner.invoke(app, ["new", name, "--defaults", "--no-setup"])
    assert result.exit_code == 0, (name, result.output)
    project = cwd / name
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    slug = questions.slug_from_name(name)
    assert recorded["project_name"] == name and recorded["project_slug"] == slug
    src = project / "src"
    init = src / slug / "__init__.py"
    assert init.is_file()
    spec = importlib.machinery.PathFinder.find_spec(slug, [str(src)])
    assert spec is not None and spec.origin == str(init)
    assert located(slug, src) == str(init)
