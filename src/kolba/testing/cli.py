"""A click runner for an app's commands, as Flask's ``FlaskCliRunner``.

It hands commands a :class:`~kolba.cli.ScriptInfo` that returns the app under test, so a
test never goes through discovery (``--app``, ``wsgi.py``) to reach its own app.
"""

from __future__ import annotations

import typing as t

from click.testing import CliRunner, Result

from kolba.cli import ScriptInfo

if t.TYPE_CHECKING:
    from kolba.app import Kolba


class KolbaCliRunner(CliRunner):
    """A :class:`click.testing.CliRunner` bound to ``app``; usually made by
    ``app.test_cli_runner()``. Keyword arguments go to :class:`~click.testing.CliRunner`.
    """

    def __init__(self, app: Kolba, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any
    ) -> Result:
        """Invoke ``cli`` (default: ``app.cli``) with ``args`` in an isolated environment.

        Unless ``obj`` is given, commands receive a ScriptInfo that loads this app.
        """
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)
