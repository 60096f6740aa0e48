"""The application's side of templating: the Jinja environment and what registers into it.

Kept apart from :mod:`kolba.app` (one concept per module); :class:`~kolba.Kolba` includes it.
Jinja2 is imported only when a template is first used, so apps that render none never pay for
the import.
"""

from __future__ import annotations

import types
import typing as t
from itertools import chain

from .globals import _cv_ctx
from .scaffold import setupmethod

if t.TYPE_CHECKING:  # pragma: no cover
    from jinja2 import BaseLoader, Environment

    from .config import Config

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
_autoescape_exts = (".html", ".htm", ".xml", ".xhtml", ".svg")


class TemplateSupport:
    """``jinja_env``, template filters/globals/tests and the template context."""

    #: Extra options for the Jinja environment, read when it is created.
    jinja_options: dict[str, t.Any] = {}
    #: The environment class; None means :class:`kolba.templating.Environment`.
    jinja_environment: type[Environment] | None = None

    config: Config
    template_context_processors: dict[str | None, list[t.Callable[..., t.Any]]]
    ensure_sync: t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]

    @property
    def jinja_env(self) -> Environment:
        """The Jinja environment, created on first use from :attr:`jinja_options`."""
        env = self.__dict__.get("_jinja_env")
        if env is None:
            env = self.__dict__["_jinja_env"] = self.create_jinja_environment()
        return env

    def create_jinja_environment(self) -> Environment:
        from .templating import create_jinja_environment

        return create_jinja_environment(self)  # type: ignore[arg-type]

    def create_global_jinja_loader(self) -> BaseLoader:
        """The loader that searches the app's templates, then each blueprint's."""
        from .templating import DispatchingJinjaLoader

        return DispatchingJinjaLoader(self)  # type: ignore[arg-type]

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape HTML-like templates and template strings (``filename`` None)."""
        if filename is None:
            return True
        return filename.endswith(_autoescape_exts)

    def _set_auto_reload(self, debug: bool) -> None:
        # Templates reload in debug mode unless TEMPLATES_AUTO_RELOAD says otherwise.
        env = self.__dict__.get("_jinja_env")
        if env is not None and self.config["TEMPLATES_AUTO_RELOAD"] is None:
            env.auto_reload = debug

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add the context processors' variables (app, then the request's blueprints, outer to
        inner); values passed to ``render_template`` win."""
        names: t.Iterable[str | None] = (None,)
        ctx = _cv_ctx.get(None)
        if ctx is not None and ctx.request is not None:
            names = chain(names, reversed(ctx.request.blueprints))
        orig_ctx = context.copy()
        # PERF: unless ensure_sync is overridden, a processor is called as it is and an async
        # one is recognised by the coroutine it returns (no inspect call per processor).
        plain = self._plain_ensure_sync  # type: ignore[attr-defined]
        for name in names:
            for func in self.template_context_processors.get(name, ()):
                if plain:
                    rv = func()
                    if type(rv) is types.CoroutineType:
                        from .app import _run_coroutine

                        rv = _run_coroutine(rv)
                else:
                    rv = self.ensure_sync(func)()
                context.update(rv)
        context.update(orig_ctx)

    @setupmethod
    def template_filter(self, name: str | t.Callable[..., t.Any] | None = None) -> t.Any:
        """Register a Jinja filter: ``@app.template_filter()`` or ``@app.template_filter``."""
        if callable(name):
            self.add_template_filter(name)
            return name

        def decorator(f: F) -> F:
            self.add_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        self.jinja_env.filters[name or f.__name__] = f

    @setupmethod
    def template_test(self, name: str | t.Callable[..., bool] | None = None) -> t.Any:
        """Register a Jinja test: ``@app.template_test()`` or ``@app.template_test``."""
        if callable(name):
            self.add_template_test(name)
            return name

        def decorator(f: F) -> F:
            self.add_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_test(self, f: t.Callable[..., bool], name: str | None = None) -> None:
        self.jinja_env.tests[name or f.__name__] = f

    @setupmethod
    def template_global(self, name: str | t.Callable[..., t.Any] | None = None) -> t.Any:
        """Register a Jinja global: ``@app.template_global()`` or ``@app.template_global``."""
        if callable(name):
            self.add_template_global(name)
            return name

        def decorator(f: F) -> F:
            self.add_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_global(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        self.jinja_env.globals[name or f.__name__] = f
