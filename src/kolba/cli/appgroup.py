"""Commands that run inside the application context: :func:`with_appcontext` and
:class:`AppGroup`, the group behind every ``app.cli`` and ``blueprint.cli``.

Kept apart from the ``kolba`` command itself because ``Scaffold.cli`` creates an
:class:`AppGroup` for every app and blueprint: importing this module must stay cheap.
"""

from __future__ import annotations

import typing as t
from functools import update_wrapper

import click

from kolba.cli.discovery import ScriptInfo

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def with_appcontext(f: F) -> F:
    """Run the command callback ``f`` inside the app context of the loaded app.

    Not needed on commands of ``app.cli`` or a blueprint's ``cli``: they get it already. The
    context is entered as a resource of the click context, so subcommands share it and it is
    popped when the command ends, whatever happens.
    """

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        from kolba.globals import current_app

        if not current_app:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return update_wrapper(decorator, f)  # type: ignore[return-value]


class AppGroup(click.Group):
    """A :class:`click.Group` whose ``command()`` wraps callbacks in :func:`with_appcontext`
    (pass ``with_appcontext=False`` to opt out) and whose ``group()`` makes more AppGroups, so
    that nested groups keep the behaviour.
    """

    def command(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Command]:
        wrap_for_ctx = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap_for_ctx:
                f = with_appcontext(f)
            return super(AppGroup, self).command(*args, **kwargs)(f)  # type: ignore[no-any-return]

        return decorator

    def group(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Group]:
        kwargs.setdefault("cls", AppGroup)
        return super().group(*args, **kwargs)  # type: ignore[no-any-return]
