"""Local stand-ins for the container images that generated projects reference.

No container registry is reachable from the test machines, so `docker compose up --build` of a
generated project cannot pull python:3.X-slim, ghcr.io/astral-sh/uv, postgres:17,
redis:7-alpine or rabbitmq:4-management-alpine. This module builds images with those exact
names and tags from Debian packages (debootstrap, deb.debian.org), the machine's pyenv builds
and uv's PyPI wheel.

Each image carries a label with a hash of everything that determines it; an image whose label
matches is left alone, so a second run takes seconds. The debootstrapped roots are kept as
labelled base images (fastcel-standin/<suite>:base) and debootstrapped at most once per recipe.

    python tests/containers/standins.py [--force]
"""

from __future__ import annotations

import argparse
import fcntl
import glob
import hashlib
import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECIPES = HERE / "recipes"
REPO = HERE.parent.parent
DOCKERFILE_TEMPLATE = REPO / "template" / "Dockerfile.jinja"

LABEL = "org.fastcel.standin.recipe"
LOCK_FILE = Path(tempfile.gettempdir()) / "fastcel-standins.lock"
MIRROR = "http://deb.debian.org/debian"
PYENV_ROOT = Path(os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv")))

# The shared libraries the pyenv builds' extension modules load (ldd on lib-dynload/*.so),
# plus what the project Dockerfile and pip need (ca-certificates; passwd comes with minbase).
BOOKWORM_PACKAGES = (
    "ca-certificates",
    "libbz2-1.0",
    "libcrypt1",
    "libexpat1",
    "libffi8",
    "libgdbm-compat4",
    "libgdbm6",
    "liblzma5",
    "libncursesw6",
    "libnsl2",
    "libreadline8",
    "libsqlite3-0",
    "libssl3",
    "libtinfo6",
    "libtirpc3",
    "libuuid1",
    "zlib1g",
)
# PostgreSQL 17 and RabbitMQ 4 are installed on top in their own images.
TRIXIE_PACKAGES = ("ca-certificates", "util-linux")

# The machine's trust store, added to the python images' (FASTCEL_STANDIN_CA_BUNDLE="" leaves
# it out): where HTTPS goes through a TLS-inspecting proxy, pip and uv in an image build only
# reach PyPI if they trust the proxy's CA as this machine does.
HOST_CA_BUNDLE = os.environ.get("FASTCEL_STANDIN_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")

# The last lines of a failing command's stderr that an error message quotes.
ERROR_TAIL_LINES = 5


class StandinError(RuntimeError):
    """A stand-in image could not be built (the message names it and the failing command)."""


@dataclass(frozen=True)
class Base:
    """A debootstrapped Debian root imported as an image, shared by several stand-ins."""

    suite: str
    packages: tuple[str, ...]

    @property
    def image(self) -> str:
        return f"fastcel-standin/{self.suite}:base"

    def recipe_hash(self) -> str:
        """What decides the root: suite, packages, mirror, policy-rc.d and the code making it.

        Only the functions that make a root are hashed, not the whole module: editing the
        rest of it must not cost two debootstraps (a minute each).
        """
        code = [inspect.getsource(f) for f in (debootstrap, prepare_root, import_root)]
        return digest([self.suite, MIRROR, *self.packages, *code], [RECIPES / "policy-rc.d"])


BOOKWORM = Base("bookworm", BOOKWORM_PACKAGES)
TRIXIE = Base("trixie", TRIXIE_PACKAGES)


@dataclass(frozen=True)
class Standin:
    """One image to provide: its name, what its hash covers and how to build it."""

    image: str
    base: Base | None
    inputs: tuple[str, ...]
    recipe_files: tuple[Path, ...]
    build: Callable[[str, str], None]

    def recipe_hash(self) -> str:
        """Everything that determines the image, this module's source included."""
        base_hash = self.base.recipe_hash() if self.base else ""
        return digest(
            [self.image, base_hash, *self.inputs],
            [Path(__file__).resolve(), *self.recipe_files],
        )


# --------------------------------------------------------------------------- helpers


def digest(values: Sequence[str], files: Sequence[Path]) -> str:
    """A sha256 over strings and file contents, so any change to either changes the label."""
    h = hashlib.sha256()
    for value in values:
        h.update(value.encode() + b"\0")
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def run(image: str, cmd: Sequence[str], **kwargs) -> str:
    """Run a command; on failure raise one line naming the image and the stderr's tail."""
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    result = subprocess.run(list(cmd), capture_output=True, text=True, env=env, **kwargs)
    if result.returncode != 0:
        tail = " | ".join(
            line.strip()
            for line in (result.stderr or result.stdout).strip().splitlines()[-ERROR_TAIL_LINES:]
        )
        raise StandinError(f"{image}: `{' '.join(cmd)}` failed (exit {result.returncode}): {tail}")
    return result.stdout


def image_label(image: str) -> str | None:
    """The recipe hash an existing image carries, or None when there is no such image."""
    result = subprocess.run(
        [
            "docker",
            "image",
            "inspect",
            "--format",
            f'{{{{index .Config.Labels "{LABEL}"}}}}',
            image,
        ],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def image_id(image: str) -> str | None:
    """The id of an existing image, or None."""
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", image],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def remove_replaced(previous: str | None, image: str) -> None:
    """Drop the stand-in a rebuild replaced, so rebuilds leave no untagged images behind.

    Only an image that carried the stand-in label gets here (never an upstream one); one
    still used by a container stays, and that is not an error.
    """
    if previous and previous != image_id(image):
        subprocess.run(["docker", "image", "rm", previous], capture_output=True)


@contextmanager
def exclusive_lock(path: Path = LOCK_FILE) -> Iterator[None]:
    """One builder at a time: pytest-xdist workers may all ask for the images at once."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def docker_build(image: str, recipe_hash: str, dockerfile: Path, context: Path, *args: str) -> None:
    """Build with the classic builder (DOCKER_BUILDKIT=0): the docker 28 client has no buildx.

    The recipe Dockerfiles need no BuildKit feature; the classic builder works with both the
    28.x client and Debian's 20.10 one. --force-rm: a failed step leaves no container behind.
    """
    shutil.copy(dockerfile, context / "Dockerfile")
    run(
        image,
        [
            "docker",
            "build",
            "--quiet",
            "--force-rm",
            "--tag",
            image,
            "--label",
            f"{LABEL}={recipe_hash}",
            *args,
            str(context),
        ],
    )


def copy_recipes(context: Path, *names: str) -> None:
    """Put recipe files (entrypoints) into a build context."""
    for name in names:
        shutil.copy2(RECIPES / name, context / name)


# --------------------------------------------------------------------------- bases


def ensure_base(base: Base, force: bool) -> None:
    """Debootstrap and import a base root unless an image with the same recipe exists."""
    recipe_hash = base.recipe_hash()
    if not force and image_label(base.image) == recipe_hash:
        return
    with tempfile.TemporaryDirectory(prefix=f"standin-{base.suite}-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "root"
        debootstrap(base, root)
        prepare_root(root)
        import_root(base.image, recipe_hash, root)


def debootstrap(base: Base, root: Path) -> None:
    """A minbase Debian root with the packages the stand-ins on it need."""
    run(
        base.image,
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(base.packages)}",
            base.suite,
            str(root),
            MIRROR,
        ],
    )


def prepare_root(root: Path) -> None:
    """Keep package installs in image builds from starting services; drop apt's caches."""
    policy = root / "usr/sbin/policy-rc.d"
    shutil.copy2(RECIPES / "policy-rc.d", policy)
    policy.chmod(0o755)
    leftovers = [
        *glob.glob(str(root / "var/cache/apt/archives/*.deb")),
        *glob.glob(str(root / "var/cache/apt/*.bin")),
    ]
    for leftover in leftovers:
        os.unlink(leftover)
    shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
    (root / "var/lib/apt/lists/partial").mkdir(parents=True)


def import_root(image: str, recipe_hash: str, root: Path) -> None:
    """`tar | docker import`: the root becomes an image, labelled with its recipe."""
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    try:
        run(
            image,
            [
                "docker",
                "import",
                "--change",
                f"LABEL {LABEL}={recipe_hash}",
                "--change",
                'CMD ["bash"]',
                "-",
                image,
            ],
            stdin=tar.stdout,
        )
    finally:
        assert tar.stdout is not None
        tar.stdout.close()
        tar.wait()


# --------------------------------------------------------------------------- python


def pyenv_prefix(version: str) -> Path:
    """The newest pyenv build of a minor version (3.12 -> ~/.pyenv/versions/3.12.1)."""
    result = subprocess.run(["pyenv", "prefix", version], capture_output=True, text=True)
    if result.returncode == 0 and result.stdout.strip():
        return Path(result.stdout.strip().splitlines()[0])
    candidates = sorted(
        PYENV_ROOT.glob(f"versions/{version}.*"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.name)],
    )
    if not candidates:
        raise StandinError(f"python:{version}-slim: no pyenv build of Python {version}")
    return candidates[-1]


def python_ignore(prefix: Path, minor: str) -> Callable[[str, list[str]], set[str]]:
    """What the slim image leaves out: site-packages but pip, the test suite, static libs."""
    lib = prefix / "lib" / f"python{minor}"

    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory)
        skipped = {n for n in names if n.endswith(".a")}
        if here == lib / "site-packages":
            skipped |= {n for n in names if n != "pip" and not n.startswith("pip-")}
        if here == lib:
            skipped |= {"test"} & set(names)
        if here == lib / "lib-dynload":
            skipped |= {n for n in names if n.startswith("_tkinter")}
        return skipped

    return ignore


def relocate_text_files(tree: Path, old_prefix: Path) -> None:
    """Point pip's and the config scripts' shebangs and paths at /usr/local."""
    old = str(old_prefix).encode()
    candidates = [
        *tree.glob("bin/*"),
        *tree.glob("lib/python*/_sysconfigdata*.py"),
        *tree.glob("lib/pkgconfig/*.pc"),
    ]
    for path in candidates:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data or old not in data:
            continue
        path.write_bytes(data.replace(old, b"/usr/local"))


def host_ca_bundle() -> Path | None:
    """The extra CA bundle for the python images, when there is one (see HOST_CA_BUNDLE)."""
    path = Path(HOST_CA_BUNDLE) if HOST_CA_BUNDLE else None
    return path if path is not None and path.is_file() else None


def add_ca_bundle(context: Path) -> None:
    """Put the host bundle (or an empty file) where python.Dockerfile picks it up."""
    bundle = host_ca_bundle()
    target = context / "host-ca.crt"
    if bundle is None:
        target.write_text("")
    else:
        shutil.copyfile(bundle, target)


def build_python(version: str, prefix: Path) -> Callable[[str, str], None]:
    """The builder of python:<version>-slim from one pyenv build."""

    def build(image: str, recipe_hash: str) -> None:
        with tempfile.TemporaryDirectory(prefix="standin-python-") as tmp:
            context = Path(tmp)
            tree = context / "python"
            shutil.copytree(prefix, tree, symlinks=True, ignore=python_ignore(prefix, version))
            relocate_text_files(tree, prefix)
            add_ca_bundle(context)
            full_version = prefix.name
            docker_build(
                image,
                recipe_hash,
                RECIPES / "python.Dockerfile",
                context,
                "--build-arg",
                f"PYTHON_VERSION={full_version}",
            )

    return build


# --------------------------------------------------------------------------- uv


def uv_version() -> str:
    """The uv version of the template's Dockerfile stage `FROM ghcr.io/astral-sh/uv:X AS uv`."""
    dockerfile = DOCKERFILE_TEMPLATE.read_text()
    match = re.search(r"^FROM ghcr\.io/astral-sh/uv:([\w.]+)", dockerfile, re.MULTILINE)
    if not match:
        raise StandinError(f"no `FROM ghcr.io/astral-sh/uv:` line in {DOCKERFILE_TEMPLATE}")
    return match.group(1)


def build_uv(version: str) -> Callable[[str, str], None]:
    """The builder of ghcr.io/astral-sh/uv:<version> from uv's manylinux wheel on PyPI."""

    def build(image: str, recipe_hash: str) -> None:
        with tempfile.TemporaryDirectory(prefix="standin-uv-") as tmp:
            context = Path(tmp)
            run(
                image,
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--only-binary=:all:",
                    f"uv=={version}",
                    "-d",
                    str(context / "wheel"),
                ],
            )
            wheel = next((context / "wheel").glob("uv-*.whl"))
            with zipfile.ZipFile(wheel) as archive:
                for name in ("uv", "uvx"):
                    target = context / name
                    target.write_bytes(archive.read(f"uv-{version}.data/scripts/{name}"))
                    target.chmod(0o755)
            docker_build(image, recipe_hash, RECIPES / "uv.Dockerfile", context)

    return build


# --------------------------------------------------------------------------- services


def build_service(dockerfile: str, *files: str) -> Callable[[str, str], None]:
    """The builder of a service image: a recipe Dockerfile and its entrypoint."""

    def build(image: str, recipe_hash: str) -> None:
        with tempfile.TemporaryDirectory(prefix="standin-service-") as tmp:
            context = Path(tmp)
            copy_recipes(context, *files)
            docker_build(image, recipe_hash, RECIPES / dockerfile, context)

    return build


def service_standin(image: str, base: Base, dockerfile: str, *files: str) -> Standin:
    """A service image built from a recipe Dockerfile on one of the bases."""
    return Standin(
        image=image,
        base=base,
        inputs=(base.suite, *base.packages),
        recipe_files=tuple(RECIPES / name for name in (dockerfile, *files)),
        build=build_service(dockerfile, *files),
    )


def python_standin(version: str) -> Standin:
    """python:<version>-slim from the pyenv build of that version."""
    prefix = pyenv_prefix(version)
    bundle = host_ca_bundle()
    return Standin(
        image=f"python:{version}-slim",
        base=BOOKWORM,
        inputs=(version, str(prefix)),
        recipe_files=(RECIPES / "python.Dockerfile", *([bundle] if bundle else [])),
        build=build_python(version, prefix),
    )


def uv_standin() -> Standin:
    """ghcr.io/astral-sh/uv at the version the template pins."""
    version = uv_version()
    return Standin(
        image=f"ghcr.io/astral-sh/uv:{version}",
        base=None,
        inputs=(version,),
        recipe_files=(RECIPES / "uv.Dockerfile",),
        build=build_uv(version),
    )


def all_standins(python_versions: Sequence[str]) -> list[Standin]:
    """Every image a generated project's Dockerfile and compose file reference."""
    return [
        *(python_standin(v) for v in python_versions),
        uv_standin(),
        service_standin("postgres:17", TRIXIE, "postgres.Dockerfile", "postgres-entrypoint.sh"),
        service_standin("redis:7-alpine", BOOKWORM, "redis.Dockerfile", "redis-entrypoint.sh"),
        service_standin(
            "rabbitmq:4-management-alpine",
            TRIXIE,
            "rabbitmq.Dockerfile",
            "rabbitmq-entrypoint.sh",
            "rabbitmq-defaults.conf",
        ),
    ]


# --------------------------------------------------------------------------- entry points


def ensure_standin(standin: Standin, force: bool) -> bool:
    """Build one image unless its label already matches; True when it was built."""
    recipe_hash = standin.recipe_hash()
    label = image_label(standin.image)
    if not force and label == recipe_hash:
        return False
    previous = image_id(standin.image) if label else None
    if standin.base is not None:
        ensure_base(standin.base, force=False)
    standin.build(standin.image, recipe_hash)
    remove_replaced(previous, standin.image)
    return True


def ensure_standins(
    python_versions: Sequence[str] = ("3.11", "3.12", "3.13"),
    force: bool = False,
    report: Callable[[str, bool, float], None] | None = None,
) -> list[str]:
    """Make sure every stand-in exists and is current; return the image names checked.

    `force` rebuilds the images (not the debootstrapped bases); `report` is called with
    (image, built, seconds) after each image.
    """
    with exclusive_lock():
        names = []
        for standin in all_standins(python_versions):
            start = time.monotonic()
            built = ensure_standin(standin, force)
            if report is not None:
                report(standin.image, built, time.monotonic() - start)
            names.append(standin.image)
        return names


def print_report(image: str, built: bool, seconds: float) -> None:
    """One line per image for the command line."""
    print(f"{image:40} {'built' if built else 'up to date':10} {seconds:7.1f} s", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """`python tests/containers/standins.py [--force]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)
    try:
        ensure_standins(force=args.force, report=print_report)
    except StandinError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
