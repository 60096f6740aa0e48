"""The application: configuration, registration, and the request hot path.

The hot path (:meth:`Kolba.wsgi_app` -> :meth:`Kolba.full_dispatch_request`) is kept flat: one
request context, one router match, the hook chains prepared before the first request, the view,
one response, and teardown. Everything that can be worked out at registration is.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import os
import sys
import types
import typing as t
import weakref
from datetime import timedelta

from . import signals
from .apperrors import ErrorHandling, _current_request
from .appresponses import ResponseConversion
from .approuting import Routing
from .apptemplates import TemplateSupport
from .config import DEFAULT_CONFIG, Config, ConfigAttribute
from .ctx import AppContext, RequestContext, _AppCtxGlobals, _base_close
from .globals import _cv_ctx
from .helpers import get_debug_flag
from .hooks import HookChains, rule_blueprints
from .http.exceptions import (
    Aborter,
    HTTPException,
)
from .json.provider import DefaultJSONProvider, JSONProvider
from .logging import create_logger
from .routing import Map, RequestRedirect, Rule
from .scaffold import Scaffold, _endpoint_from_view_func, find_package, setupmethod
from .sessions import SecureCookieSessionInterface, SessionInterface
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    request_tearing_down,
)
from .wrappers import Request, Response
from .wsgi import WSGIScope

if t.TYPE_CHECKING:  # pragma: no cover
    from .blueprints import Blueprint
    from .testing import KolbaClient
    from .testing.cli import KolbaCliRunner
    from .wsgi import StartResponse, WSGIEnvironment

T_teardown = t.TypeVar("T_teardown", bound=t.Callable[..., t.Any])
F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def _make_timedelta(value: timedelta | int | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


#: PERF: a module constant is one lookup fewer than ``types.CoroutineType`` per request.
_CoroutineType = types.CoroutineType
#: What a context-variable token holds as the old value when no context was current.
_NO_CONTEXT: t.Any = contextvars.Token.MISSING


class Kolba(TemplateSupport, ErrorHandling, ResponseConversion, Routing, Scaffold):
    """A WSGI application with Flask's API.

    :param import_name: The name of the application's module or package, usually ``__name__``;
        it locates the root path, and the static, template and instance folders.
    :param static_url_path: URL prefix of the static route (defaults to the static folder name).
    :param static_folder: Folder of static files, relative to the root path.
    :param static_host: Host of the static route when host matching is on.
    :param host_matching: Match rules by host as well as path.
    :param subdomain_matching: Match rule subdomains against ``SERVER_NAME``.
    :param template_folder: Folder of templates, relative to the root path.
    :param instance_path: Absolute path of the instance folder (default: ``instance`` beside the
        package, or in ``<prefix>/var/<name>-instance`` when installed).
    :param instance_relative_config: Resolve relative config file names against the instance
        folder instead of the root path.
    :param root_path: The application's folder, when it cannot be found from ``import_name``.
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    aborter_class = Aborter
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    url_rule_class = Rule
    url_map_class = Map
    test_client_class: type[KolbaClient] | None = None
    test_cli_runner_class: type[t.Any] | None = None
    session_interface: SessionInterface = SecureCookieSessionInterface()

    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute["str | bytes | None"]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME",
        get_converter=_make_timedelta,  # type: ignore[arg-type]
    )

    default_config = DEFAULT_CONFIG

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute."
                " A relative path was given instead."
            )
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        self.aborter = self.make_aborter()
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_build_error_handlers: list[
            t.Callable[[Exception, str, dict[str, t.Any]], str]
        ] = []
        self.teardown_appcontext_funcs: list[t.Callable[[BaseException | None], None]] = []
        self.shell_context_processors: list[t.Callable[[], dict[str, t.Any]]] = []
        self.blueprints: dict[str, Blueprint] = {}
        self.extensions: dict[str, t.Any] = {}
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        self._chains: dict[tuple[str, ...], HookChains] = {}
        # An app that overrides ensure_sync sees every view function, as in Flask.
        self._plain_ensure_sync = type(self).ensure_sync is Kolba.ensure_sync
        # PERF: full_dispatch_request calls the view itself unless dispatch is overridden.
        self._plain_dispatch = (
            self._plain_ensure_sync and type(self).dispatch_request is Kolba.dispatch_request
        )
        self.template_context_processors[None] = [_default_template_ctx_processor]
        # PERF: contexts skip the teardown methods when nothing is registered, unless a
        # subclass overrides them.
        self._plain_teardown = (
            type(self).do_teardown_request is Kolba.do_teardown_request
            and type(self).do_teardown_appcontext is Kolba.do_teardown_appcontext
        )
        # PERF: an app that overrides none of the response steps has them inlined into
        # full_dispatch_request for the commonest return values.
        self._plain_finalize = all(
            getattr(type(self), name) is getattr(Kolba, name)
            for name in ("finalize_request", "make_response", "process_response")
        )
        self.static_host = static_host
        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise AssertionError("Invalid static_host/host_matching combination")
            # A weak reference, so the rule's view does not keep the app alive.
            self_ref = weakref.ref(self)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: self_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )

    # -- Identity and configuration --------------------------------------------------------------

    @property
    def name(self) -> str:  # type: ignore[override]
        """The application's name: the import name, or the script's name when run as main."""
        if self.import_name == "__main__":
            fn: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        """Debug mode: detailed errors and reloading. Never on unless asked for."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        self._set_auto_reload(value)

    @property
    def logger(self) -> logging.Logger:
        """The ``logging`` logger named after the app (see :mod:`kolba.logging`)."""
        logger = self.__dict__.get("_logger")
        if logger is None:
            logger = self.__dict__["_logger"] = create_logger(self)
        return logger

    def make_config(self, instance_relative: bool = False) -> Config:
        root_path = self.root_path
        if instance_relative:
            root_path = self.instance_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    def make_aborter(self) -> Aborter:
        return self.aborter_class()

    def auto_find_instance_path(self) -> str:
        prefix, package_path = find_package(self.import_name)
        if prefix is None:
            return os.path.join(package_path, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.AnyStr]:
        """Open a file in the instance folder (which, unlike resources, may be written)."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)  # noqa: SIM115
        return open(path, mode, encoding=encoding)  # noqa: SIM115

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called"
                " on the application. It has already handled its first"
                " request, any changes will not be applied"
                " consistently.\n"
                "Make sure all imports, decorators, functions, etc."
                " needed to set up the application are done before"
                " running it."
            )
        self._chains.clear()

    # -- Registration ----------------------------------------------------------------------------

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a URL rule; see :meth:`route`. Conflicting rules are refused here."""
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for"
                ' example: @app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        required_methods = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        methods |= required_methods
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options
        if view_func is None:
            rule_obj.alias_without_view = True  # type: ignore[attr-defined]
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None and old_func != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing"
                    f" endpoint function: {endpoint}"
                )
        self.url_map.add(rule_obj)
        if view_func is not None:
            self.view_functions[endpoint] = view_func

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Register a blueprint's routes, hooks and handlers on the app.

        :param options: Override the blueprint's ``url_prefix``, ``subdomain``,
            ``url_defaults``, or register it again under another ``name``.
        """
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        """The registered blueprints, in registration order."""
        return self.blueprints.values()

    @setupmethod
    def teardown_appcontext(self, f: T_teardown) -> T_teardown:
        """Run ``f(exc)`` whenever the application context ends."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(self, f: F) -> F:
        """Register a function returning names for ``kolba shell``."""
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, t.Any]:
        """The names ``kolba shell`` starts with: ``app``, ``g`` and the processors' names."""
        from .globals import g

        rv: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    # -- Async support ---------------------------------------------------------------------------

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Return a plain callable for ``func``, running a coroutine function to completion."""
        if inspect.iscoroutinefunction(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        """Wrap a coroutine function so each call runs it in a new event loop.

        Under WSGI each call starts and closes an event loop (tens of microseconds): async views
        work, but they are slower than plain ones until the ASGI adapter serves them natively.
        The coroutine sees the current context (``request``, ``g``...).
        """

        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return _run_coroutine(func(*args, **kwargs))

        return wrapper

    # -- Contexts --------------------------------------------------------------------------------

    def app_context(self) -> AppContext:
        """A new application context (``with app.app_context(): ...``)."""
        return AppContext(self)

    def request_context(self, environ: WSGIEnvironment) -> RequestContext:
        """A request context for a WSGI environ; its URL is matched when it is pushed, so
        ``request.endpoint`` and ``view_args`` are set as in a view."""
        ctx = RequestContext(self, WSGIScope(environ))
        ctx._match_on_push = True
        return ctx

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context for a made-up request; takes the test client's arguments."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_cli_runner(self, **kwargs: t.Any) -> KolbaCliRunner:
        """A click runner that invokes this app's commands (``runner.invoke(args=[...])``)."""
        cls = self.test_cli_runner_class
        if cls is None:
            from .testing.cli import KolbaCliRunner

            cls = KolbaCliRunner
        return cls(self, **kwargs)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app on the development server (never for production: use gunicorn,
        waitress or uWSGI). Does nothing when the ``kolba run`` command already serves it.

        :param options: Passed to :func:`kolba.serving.run_simple` (``use_reloader``,
            ``use_debugger``, ``threaded``, ``extra_files``, ``ssl_context``...).
        """
        from .cli.commands import run_app

        run_app(self, host, port, debug, load_dotenv, **options)

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> KolbaClient:
        """A client that sends requests to this app in-process, with a cookie jar."""
        cls = self.test_client_class
        if cls is None:
            from .testing import KolbaClient

            cls = KolbaClient
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    # -- The request hot path --------------------------------------------------------------------

    def wsgi_app(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        """Serve one WSGI request: build the context, dispatch, start the response, tear down.

        The application object is the WSGI entry point; wrap this method (not ``__call__``)
        with WSGI middleware: ``app.wsgi_app = ProxyFix(app.wsgi_app)``.
        """
        ctx = RequestContext(self, WSGIScope(environ))
        error: BaseException | None = None
        try:
            try:
                if appcontext_pushed.receivers:
                    ctx.push()
                else:
                    # PERF: RequestContext.push inlined for a fresh context with nobody
                    # listening: it only sets the context variable, unless the token says
                    # another context was current, whose ``g`` push() may have to share.
                    token = ctx._token = _cv_ctx.set(ctx)
                    if token.old_value is not _NO_CONTEXT:
                        _cv_ctx.reset(token)
                        ctx._token = None
                        ctx.push()
                response = self.full_dispatch_request(ctx)
            except Exception as e:
                error = e
                response = self.handle_exception(e)
            except BaseException as e:
                error = e
                raise
            # The WSGI hand-off: the response's prepared parts go to start_response.
            status, headers, body = response.prepare(ctx.request.method)  # type: ignore[union-attr]
            start_response(status, headers)
            return body
        finally:
            preserve = environ.get("kolba.preserve_context")
            if preserve is not None:
                preserve(ctx)
            if error is not None and self.should_ignore_error(error):
                error = None
            chains = ctx._chains
            request: t.Any = ctx.request
            if (
                chains is None
                or chains.teardown
                or ctx._outer_tokens
                or not self._plain_teardown
                or self.teardown_appcontext_funcs
                # Uploads exist only once the body stream was made; testing that first keeps
                # a plain request from making its __dict__.
                or (request._stream is not None and "files" in request.__dict__)
                or type(request).close is not _base_close
                or request_tearing_down.receivers
                or appcontext_tearing_down.receivers
                or appcontext_popped.receivers
            ):
                ctx.pop(error)
            else:
                # PERF: RequestContext.pop inlined for when it has nothing to run: no
                # teardown function, no upload to close, nobody listening.
                current = _cv_ctx.get(None)
                _cv_ctx.reset(ctx._token)  # type: ignore[arg-type]
                ctx._token = None
                if current is not ctx:
                    raise AssertionError(f"Popped wrong request context. ({current!r})")

    # PERF: the server calls the application object, and __call__ *is* wsgi_app: a Python frame
    # fewer per request (1,300 instructions, 3% of a hello request). Middleware assigned to
    # ``app.wsgi_app``, and subclasses that override wsgi_app, get a __call__ that goes through
    # ``self.wsgi_app`` instead (see __setattr__ and __init_subclass__).
    __call__ = wsgi_app

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "wsgi_app" in cls.__dict__ and "__call__" not in cls.__dict__:
            cls.__call__ = _call_wsgi_app  # type: ignore[method-assign]

    def __setattr__(self, name: str, value: t.Any) -> None:
        if name == "wsgi_app" and type(self).__call__ is _wsgi_app_function:
            # Middleware replaces wsgi_app on this instance: from now on this object is of a
            # subclass (made once per class, same name) whose __call__ goes through it.
            object.__setattr__(self, "__class__", _delegating_class(type(self)))
        object.__setattr__(self, name, value)

    def full_dispatch_request(self, ctx: RequestContext | None = None) -> Response:
        """Match, run the before hooks and the view (or an error handler), then finalize."""
        if ctx is None:
            ctx = t.cast(RequestContext, _cv_ctx.get())
        if not self._got_first_request:  # PERF: a plain read; a write goes through __setattr__
            self._got_first_request = True
        # PERF: no typing.cast on the hot path (it is a real call); the annotations say it.
        request: Request = ctx.request  # type: ignore[assignment]
        # PERF: routing is done here rather than at push so that a routing error is raised
        # inside dispatch, where before_request hooks and error handlers still see it. A
        # context pushed by hand (``test_request_context``) was matched at push already.
        # PERF: a context made by wsgi_app is never matched yet; test the request's class
        # defaults only for contexts pushed by hand.
        if not ctx._match_on_push or (
            request.url_rule is None and request.routing_exception is None
        ):
            url_map = self.url_map
            try:
                if (
                    url_map.host_matching
                    or self.subdomain_matching
                    or self.config["TRUSTED_HOSTS"] is not None
                ):
                    request.url_rule, request.view_args = self._match(request)
                else:
                    # PERF: the common case, without the call into _match; a static rule that
                    # matches plainly is one lookup in the map's table, without match().
                    fast = url_map._fast_static
                    if fast is None:
                        fast = url_map._build_fast_static()
                    by_method = fast.get(request.path)
                    hit = by_method.get(request.method) if by_method is not None else None
                    if hit is not None:
                        request.url_rule = hit
                        request.view_args = {}
                    else:
                        request.url_rule, request.view_args = url_map._match(
                            url_map.default_subdomain, request.path, request.method, False
                        )
            except RequestRedirect as e:
                request.routing_exception = self._complete_redirect(e, request)
            except HTTPException as e:
                request.routing_exception = e
        rule = request.url_rule
        try:
            blueprints = rule._kolba_blueprints  # type: ignore[union-attr]
        except AttributeError:
            blueprints = rule_blueprints(rule)
        chains = self._chains.get(blueprints) or self._get_chains(blueprints)
        ctx._chains = chains
        try:
            if signals.request_started.receivers:
                signals.request_started.send(self, _async_wrapper=self.ensure_sync)
            rv = None
            if chains.url_value_preprocessors:
                endpoint = request.endpoint
                for url_func in chains.url_value_preprocessors:
                    url_func(endpoint, request.view_args)
            for before_func in chains.before:
                rv = before_func()
                if rv is not None:
                    break
            if rv is None:
                if self._plain_dispatch and rule is not None and request.method != "OPTIONS":
                    # PERF: dispatch_request inlined for a matched rule (one call fewer); a
                    # view without arguments is called without unpacking an empty dict.
                    args = request.view_args
                    view = self.view_functions[rule.endpoint]
                    rv = view(**args) if args else view()
                    if type(rv) is _CoroutineType:
                        rv = _run_coroutine(rv)
                else:
                    rv = self.dispatch_request(ctx)
        except Exception as e:
            rv = self.handle_user_exception(e)
        if not self._plain_finalize or signals.request_finished.receivers:
            return self.finalize_request(rv, ctx=ctx)
        # PERF: finalize_request and make_response inlined for a str or a dict (two calls
        # fewer), and process_response skipped when it has nothing to do: no after-request
        # function, no session opened, and no secret key (so no session cookie to refresh).
        tp = type(rv)
        if tp is str:
            response = self.response_class(rv)
        elif tp is dict:
            response = self.json.response(rv)
        elif tp is self.response_class:
            response = rv
        else:
            response = self.make_response(rv)
        if (
            chains.after
            or ctx._after_request_functions
            or ctx._session is not None
            or type(self.session_interface) is not SecureCookieSessionInterface
            or (self.config["SECRET_KEY"] and request.scope.header("cookie") is not None)
        ):
            # PERF: with the default session interface, a request that sent no cookie at all
            # has no session to refresh, even with a secret key.
            response = self.process_response(response, ctx)
        return response

    def _get_chains(self, blueprints: tuple[str, ...]) -> HookChains:
        chains = self._chains.get(blueprints)
        if chains is None:
            chains = self._chains[blueprints] = HookChains(self, blueprints)
        return chains

    def dispatch_request(self, ctx: RequestContext | None = None) -> t.Any:
        """Call the matched view (or answer an automatic OPTIONS); raise a routing error."""
        if ctx is None:
            ctx = t.cast(RequestContext, _cv_ctx.get())
        request: Request = ctx.request  # type: ignore[assignment]
        if request.routing_exception is not None:
            self.raise_routing_exception(request)
        rule: Rule = request.url_rule  # type: ignore[assignment]
        if rule.provide_automatic_options and request.method == "OPTIONS":
            return self.make_default_options_response()
        view = self.view_functions[rule.endpoint]
        if not self._plain_ensure_sync:
            return self.ensure_sync(view)(**request.view_args)  # type: ignore[arg-type]
        rv = view(**request.view_args)  # type: ignore[arg-type]
        # PERF: an ``async def`` view is detected by what it returns, so plain views pay nothing.
        if type(rv) is _CoroutineType:
            rv = _run_coroutine(rv)
        return rv

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        raise request.routing_exception  # type: ignore[misc]  # PERF: no cast call

    def finalize_request(
        self,
        rv: t.Any,
        from_error_handler: bool = False,
        ctx: RequestContext | None = None,
    ) -> Response:
        """Turn a view's return value into a response and run the after-request processing."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response, ctx)
            if signals.request_finished.receivers:
                signals.request_finished.send(
                    self, _async_wrapper=self.ensure_sync, response=response
                )
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    def process_response(self, response: Response, ctx: RequestContext | None = None) -> Response:
        """Run ``after_this_request`` functions and after_request hooks; save the session."""
        if ctx is None:
            ctx = t.cast(RequestContext, _cv_ctx.get())
        for func in ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        chains = ctx._chains
        if chains is None:
            chains = self._get_chains(rule_blueprints(ctx.request.url_rule))  # type: ignore[union-attr]
        for func in chains.after:
            response = func(response)
        # PERF: the session is opened lazily; a request that never touched it and sent no
        # session cookie has nothing to save.
        session = ctx._session
        interface = self.session_interface
        # PERF: without a secret key the default interface has nothing it could save.
        if (
            session is None
            and (self.config["SECRET_KEY"] or type(interface) is not SecureCookieSessionInterface)
            and interface.should_open_for(self, ctx.request)  # type: ignore[arg-type]
        ):
            session = ctx.session
        if session is not None and not interface.is_null_session(session):
            interface.save_session(self, session, response)
        return response

    # -- Errors (the rest is in kolba.apperrors) -------------------------------------------

    def log_exception(self, exc_info: t.Any) -> None:
        # Logged from this module so records read "ERROR in app", as Flask's do.
        request = _current_request()
        where = f" on {request.path} [{request.method}]" if request is not None else ""
        self.logger.error(f"Exception{where}", exc_info=exc_info)

    # -- Teardown --------------------------------------------------------------------------------

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run the teardown_request functions (innermost blueprint first, app last)."""
        ctx = _cv_ctx.get()
        chains = getattr(ctx, "_chains", None)
        if chains is None:
            chains = self._get_chains(rule_blueprints(getattr(ctx.request, "url_rule", None)))
        for func in chains.teardown:
            func(exc)
        if signals.request_tearing_down.receivers:
            signals.request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run the teardown_appcontext functions, last registered first."""
        for func in reversed(self.teardown_appcontext_funcs):
            self.ensure_sync(func)(exc)
        if signals.appcontext_tearing_down.receivers:
            signals.appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    # -- Helpers -----------------------------------------------------------------------------------

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response using :attr:`response_class`; see :func:`kolba.redirect`."""
        from .helpers import _redirect

        return _redirect(location, code=code, Response=self.response_class)


def _default_template_ctx_processor() -> dict[str, t.Any]:
    """Put ``g`` and ``request`` in every template's context, as Flask does (so template signal
    receivers see them too). ``session`` stays a Jinja global: reading it here would open it."""
    ctx = _cv_ctx.get(None)
    if ctx is None:
        return {}
    if ctx.request is None:
        return {"g": ctx.g}
    return {"g": ctx.g, "request": ctx.request}


def _run_coroutine(coro: t.Coroutine[t.Any, t.Any, t.Any]) -> t.Any:
    # Imported here: asyncio is a third of kolba's import time, and only async views need it.
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise RuntimeError(
        "An async view or hook was called from a thread that is already running an event loop;"
        " under WSGI, run Kolba in a worker thread."
    )


_wsgi_app_function = Kolba.wsgi_app


def _call_wsgi_app(
    self: Kolba, environ: WSGIEnvironment, start_response: StartResponse
) -> t.Iterable[bytes]:
    """The WSGI entry point of an application whose wsgi_app was replaced or overridden."""
    return self.wsgi_app(environ, start_response)


def _delegating_class(cls: type[Kolba]) -> type[Kolba]:
    """*cls* with a __call__ that goes through ``self.wsgi_app``, made once per class."""
    sub: type[Kolba] | None = cls.__dict__.get("_kolba_delegating")
    if sub is None:
        sub = type(
            cls.__name__,
            (cls,),
            {
                "__call__": _call_wsgi_app,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
            },
        )
        type.__setattr__(cls, "_kolba_delegating", sub)
    return sub
