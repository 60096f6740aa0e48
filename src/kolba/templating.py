"""Jinja2 templates: the app's environment, the loader that searches blueprints, and rendering.

Rendering follows Flask 3.1: the context passed by the caller wins over what context processors
add, ``before_render_template`` and ``template_rendered`` go out with ``template=`` and
``context=``, and a streamed template keeps the request context alive until the last chunk.
Unlike Flask, each signal is sent only when something listens, so an app that renders without
receivers pays nothing for them.
"""

from __future__ import annotations

import typing as t

from jinja2 import BaseLoader, Template, TemplateNotFound
from jinja2 import Environment as _BaseEnvironment

from .globals import _cv_ctx, _no_app_msg, g, request, session
from .signals import before_render_template, template_rendered

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .scaffold import Scaffold

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "create_jinja_environment",
    "get_template_attribute",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]

#: What :meth:`jinja2.BaseLoader.get_source` returns: source, file name, up-to-date check.
_Source = tuple[str, "str | None", "t.Callable[[], bool] | None"]


class Environment(_BaseEnvironment):
    """A Jinja environment that knows its app, so the loader can reach the blueprints.

    :param app: The application the templates belong to.
    :param options: Passed to :class:`jinja2.Environment`; without a ``loader`` the app's
        :meth:`~kolba.Kolba.create_global_jinja_loader` is used, which searches the app's
        template folder and then every blueprint's.
    """

    def __init__(self, app: Kolba, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app


class DispatchingJinjaLoader(BaseLoader):
    """Find a template in the app's folder, then in each blueprint's, in registration order.

    The first loader that has the template wins, so an app can override a blueprint's template
    by placing one with the same name in its own folder. Blueprints are read at each lookup
    rather than captured here, because they may be registered after the environment is built.

    :param app: The application whose loaders to search.
    """

    def __init__(self, app: Kolba) -> None:
        self.app = app

    def get_source(self, environment: _BaseEnvironment, template: str) -> _Source:
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        for _owner, loader in self._iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _get_source_explained(self, environment: _BaseEnvironment, template: str) -> _Source:
        # Asks every loader, not only up to the first hit, so the log can warn when a template
        # is shadowed by another folder: the usual cause of "my blueprint's template is ignored".
        attempts: list[tuple[BaseLoader, Scaffold, _Source | None]] = []
        found: _Source | None = None
        for owner, loader in self._iter_loaders():
            try:
                rv: _Source | None = loader.get_source(environment, template)
            except TemplateNotFound:
                rv = None
            if found is None:
                found = rv
            attempts.append((loader, owner, rv))
        _explain_attempts(self.app, template, attempts)
        if found is None:
            raise TemplateNotFound(template)
        return found

    def _iter_loaders(self) -> t.Iterator[tuple[Scaffold, BaseLoader]]:
        loader = self.app.jinja_loader
        if loader is not None:
            yield self.app, loader
        for blueprint in self.app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def list_templates(self) -> list[str]:
        """Every template name any of the loaders can find, each once."""
        names: set[str] = set()
        for _owner, loader in self._iter_loaders():
            names.update(loader.list_templates())
        return list(names)


def _describe_loader(loader: BaseLoader) -> t.Iterator[str]:
    """The loader's class and its plain public settings (such as ``searchpath``), one a line."""
    yield f"class: {type(loader).__module__}.{type(loader).__name__}"
    for key, value in sorted(vars(loader).items()):
        if key.startswith("_"):
            continue
        if isinstance(value, (tuple, list)):
            if all(isinstance(item, str) for item in value):
                yield f"{key}:"
                yield from (f"  - {item}" for item in value)
        elif isinstance(value, (str, int, float, bool)):
            yield f"{key}: {value!r}"


def _explain_attempts(
    app: Kolba, template: str, attempts: list[tuple[BaseLoader, Scaffold, _Source | None]]
) -> None:
    """Log, at INFO on the app's logger, where ``template`` was looked for and what was found."""
    lines = [f"Locating template {template!r}:"]
    found = 0
    for number, (loader, owner, rv) in enumerate(attempts, 1):
        if owner is app:
            where = f"application {owner.import_name!r}"
        else:
            where = f"blueprint {owner.name!r} ({owner.import_name})"
        lines.append(f"{number:5}: trying loader of {where}")
        lines.extend(f"       {line}" for line in _describe_loader(loader))
        if rv is None:
            lines.append("       -> no match")
        else:
            found += 1
            lines.append(f"       -> found ({rv[1] or '<string>'!r})")
    if found == 0:
        lines.append("Error: the template could not be found.")
    elif found > 1:
        lines.append("Warning: multiple loaders returned a match for the template.")
    ctx = _cv_ctx.get(None)
    blueprint = ctx.request.blueprint if ctx is not None and ctx.request is not None else None
    if blueprint is not None and found != 1:
        lines.append(
            "  The template was looked up from an endpoint that belongs"
            f" to the blueprint {blueprint!r}."
        )
        lines.append("  Maybe you did not place a template in the right folder?")
    app.logger.info("\n".join(lines))


def create_jinja_environment(app: Kolba) -> Environment:
    """Build ``app``'s environment from :attr:`~kolba.Kolba.jinja_options` and its config.

    Called once, when :attr:`~kolba.Kolba.jinja_env` is first used; changing ``jinja_options``
    afterwards has no effect. The ``request``, ``session`` and ``g`` proxies are globals so that
    imported templates and macros, which do not see the render context, can still use them.
    """
    from .helpers import get_flashed_messages

    options = dict(app.jinja_options)
    if "autoescape" not in options:
        options["autoescape"] = app.select_jinja_autoescape
    if "auto_reload" not in options:
        auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
        options["auto_reload"] = app.debug if auto_reload is None else auto_reload
    # The app may leave ``jinja_environment`` None so that Jinja2 is imported only on first use.
    env_class = t.cast("type[Environment]", app.jinja_environment or Environment)
    env = env_class(app, **options)
    env.globals.update(
        url_for=app.url_for,
        get_flashed_messages=get_flashed_messages,
        config=app.config,
        request=request,
        session=session,
        g=g,
    )
    # Jinja's own ``tojson`` filter escapes <, >, & and ' (as kolba.json.htmlsafe_dumps does)
    # and calls this function to serialize, so the app's JSON provider decides the encoding.
    env.policies["json.dumps_function"] = app.json.dumps
    return env


def _current_app() -> Kolba:
    # PERF: one context-variable read instead of going through the current_app proxy.
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_no_app_msg)
    return ctx.app


def _render(app: Kolba, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    if before_render_template.receivers:
        before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    rv = template.render(context)
    if template_rendered.receivers:
        template_rendered.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    return rv


def render_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> str:
    """Render a template from the app's and blueprints' template folders.

    :param template_name_or_list: The template's name; given a list, the first that exists.
    :param context: Variables for the template; they win over context processors' values.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template given as source text (autoescaped, as an HTML template would be).

    :param source: The template's source.
    :param context: Variables for the template; they win over context processors' values.
    """
    app = _current_app()
    return _render(app, app.jinja_env.from_string(source), context)


def _stream(app: Kolba, template: Template, context: dict[str, t.Any]) -> t.Iterator[str]:
    app.update_template_context(context)
    if before_render_template.receivers:
        before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )

    def generate() -> t.Iterator[str]:
        yield from template.generate(context)
        if template_rendered.receivers:
            template_rendered.send(
                app, _async_wrapper=app.ensure_sync, template=template, context=context
            )

    ctx = _cv_ctx.get(None)
    if ctx is not None and ctx.request is not None:
        # The response body is iterated after the view returns and the context is gone; keep
        # it pushed so ``request``, ``session`` and ``url_for`` still work in the template.
        from .helpers import stream_with_context

        return stream_with_context(generate())
    return generate()


def stream_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> t.Iterator[str]:
    """Render a template piece by piece, as an iterator to return as a streamed response body.

    :param template_name_or_list: The template's name; given a list, the first that exists.
    :param context: Variables for the template; they win over context processors' values.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> t.Iterator[str]:
    """Render template source piece by piece, like :func:`stream_template`.

    :param source: The template's source.
    :param context: Variables for the template; they win over context processors' values.
    """
    app = _current_app()
    return _stream(app, app.jinja_env.from_string(source), context)


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """Return a macro or variable a template exports, to call it from Python code.

    For example ``get_template_attribute("_macros.html", "hello")("World")`` calls the
    ``hello`` macro of ``_macros.html``.

    :param template_name: The template to load.
    :param attribute: The name of the macro or variable.
    """
    return getattr(_current_app().jinja_env.get_template(template_name).module, attribute)
