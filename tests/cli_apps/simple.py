from __future__ import annotations

import click

from kolba import Kolba

app = Kolba(__name__)


@app.route("/")
def index() -> str:
    return "simple"


@app.cli.command("hello")
@click.option("--name", default="World")
def hello(name: str) -> None:
    click.echo(f"Hello, {name} from {app.name}!")
