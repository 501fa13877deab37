"""``python -m m100model``: the ``m100`` command line."""

from m100model.cli import app

app(prog_name="m100")
