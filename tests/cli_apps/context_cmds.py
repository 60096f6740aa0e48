from __future__ import annotations

import click

from kolba import Blueprint, Kolba, current_app

app = Kolba("context_cmds")

tools = app.cli.group("tools")(lambda: None)


@tools.command("where")
def where() -> None:
    click.echo(f"in {current_app.name}")


@app.cli.command("bare", with_appcontext=False)
def bare() -> None:
    from kolba import has_app_context

    click.echo(f"context: {has_app_context()}")


@app.cli.command("greet")
@click.argument("who")
@click.option("--times", "-n", type=int, default=1)
def greet(who: str, times: int) -> None:
    for _ in range(times):
        click.echo(f"hi {who}")


@app.cli.command("show-env")
@click.argument("names", nargs=-1)
def show_env(names: tuple[str, ...]) -> None:
    import os

    for name in names:
        click.echo(f"{name}={os.environ.get(name)}")


@app.cli.command("debug-state")
def debug_state() -> None:
    click.echo(f"debug={current_app.debug}")


users = Blueprint("users", __name__)


@users.cli.command("create")
@click.argument("name")
def create_user(name: str) -> None:
    click.echo(f"created {name} in {current_app.name}")


top = Blueprint("top", __name__, cli_group=None)


@top.cli.command("top-level")
def top_level() -> None:
    click.echo("top-level ran")


renamed = Blueprint("renamed", __name__, cli_group="admin")


@renamed.cli.command("audit")
def audit() -> None:
    click.echo("audit ran")


app.register_blueprint(users)
app.register_blueprint(top)
app.register_blueprint(renamed)
