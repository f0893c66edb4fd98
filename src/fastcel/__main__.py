"""`python -m fastcel`: the same commands as `fastcel`."""

from fastcel.cli import app

app(prog_name="fastcel")
