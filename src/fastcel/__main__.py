from fastcel.cli import app

app(prog_name="fastcel")
