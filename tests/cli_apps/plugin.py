from __future__ import annotations

import click


@click.command("plugged")
def command() -> None:
    click.echo("plugin command ran")
