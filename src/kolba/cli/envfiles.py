"""Loading ``.kolbaenv`` and ``.env`` files into the environment with python-dotenv.

python-dotenv is optional (the ``dotenv`` extra): without it nothing is loaded, but a project
that has such files gets a hint instead of silently running with the wrong settings.
"""

from __future__ import annotations

import os

import click


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Set environment variables from dotenv files; variables already in the environment win.

    Precedence: ``path``, then ``.env``, then ``.kolbaenv`` (the nearest of each, searched
    upwards from the current directory). ``.kolbaenv`` is meant to be committed (public
    settings such as ``KOLBA_APP``), ``.env`` to hold local secrets.

    :param path: A file to load besides (and over) the default ones.
    :param load_defaults: Whether to look for ``.kolbaenv`` and ``.env``.
    :return: Whether any variable was found in the files.
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(".kolbaenv"):
            click.secho(
                " * Tip: There are .env files present. Install python-dotenv to use them.",
                fg="yellow",
                err=True,
            )
        return False

    data: dict[str, str | None] = {}
    if load_defaults:
        for default_name in (".kolbaenv", ".env"):
            default_path = dotenv.find_dotenv(default_name, usecwd=True)
            if default_path:
                data |= dotenv.dotenv_values(default_path, encoding="utf-8")
    if path is not None and os.path.isfile(path):
        data |= dotenv.dotenv_values(path, encoding="utf-8")

    for key, value in data.items():
        if key in os.environ or value is None:
            continue
        os.environ[key] = value
    return bool(data)
