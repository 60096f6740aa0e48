"""Class-based views: :class:`View` and :class:`MethodView`, as Flask's ``flask.views``.

A class is turned into an ordinary view function by :meth:`View.as_view`; the app then registers
it like any other, reading ``methods`` and ``provide_automatic_options`` from the function. So the
router and the dispatch path know nothing about classes, and a class-based view costs one extra
call (plus an instance, unless ``init_every_request`` is False) over a plain function.
"""

from __future__ import annotations

import inspect
import typing as t
from types import CoroutineType

from .app import Kolba
from .globals import _get_app, _get_request

#: The handler names :class:`MethodView` looks for, lower case as the methods on the class.
http_method_funcs: frozenset[str] = frozenset(
    ["get", "post", "head", "options", "delete", "put", "trace", "patch"]
)


_default_ensure_sync = Kolba.ensure_sync


def _call(app: Kolba, func: t.Callable[..., t.Any], kwargs: dict[str, t.Any]) -> t.Any:
    """Call ``func(**kwargs)`` as ``app.ensure_sync(func)(**kwargs)`` would, more cheaply.

    PERF: ``ensure_sync`` asks ``inspect.iscoroutinefunction`` on every call (about eight
    Python calls, twice per request for a MethodView). With the default ``ensure_sync`` the
    handler is called directly and an ``async def`` one is recognised by the coroutine it
    returns: that coroutine has not started, so it is closed unrun and the handler goes the
    usual way. An app that overrides ``ensure_sync`` gets Flask's exact path.
    """
    if getattr(app.ensure_sync, "__func__", None) is not _default_ensure_sync:
        return app.ensure_sync(func)(**kwargs)
    rv = func(**kwargs)
    if type(rv) is CoroutineType and inspect.iscoroutinefunction(func):
        rv.close()
        return app.ensure_sync(func)(**kwargs)
    return rv


class View:
    """Subclass and override :meth:`dispatch_request`; register ``Cls.as_view("name")``.

    URL variables are passed to :meth:`dispatch_request` as keyword arguments. Everything that
    configures the route lives on the class so one class can be registered on several rules and
    apps and behave the same on each.
    """

    #: The methods the view is registered for; ``None`` lets ``add_url_rule`` use its default
    #: (``GET``, with ``HEAD`` and ``OPTIONS`` added), exactly as for a function view.
    methods: t.ClassVar[t.Collection[str] | None] = None

    #: Whether the app answers ``OPTIONS`` itself; ``None`` defers to ``add_url_rule``'s default.
    provide_automatic_options: t.ClassVar[bool | None] = None

    #: Decorators applied, in list order, to the generated view function: the first one is the
    #: innermost, as if it were written last in ``@`` syntax. Decorating the class itself would
    #: not reach the function the app calls, hence this list.
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []

    #: True makes a fresh instance for every request, so ``self`` can hold per-request state.
    #: False makes one instance in :meth:`as_view` and shares it (faster when ``__init__`` does
    #: real work); per-request data must then go on :data:`~kolba.g`.
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self) -> t.Any:
        """Answer the request; subclasses must override it. URL variables come as keywords."""
        raise NotImplementedError()

    @classmethod
    def as_view(
        cls, name: str, *class_args: t.Any, **class_kwargs: t.Any
    ) -> t.Callable[..., t.Any]:
        """Make the view function the app registers; extra arguments go to the class's ``__init__``.

        ``name`` becomes the function's ``__name__`` and so the default endpoint. The function
        carries ``view_class``; with ``init_every_request`` it is read on every request, so a test
        can swap the class on a registered view (Flask's documented use).

        :param name: the view function's name, used as the endpoint unless one is given.
        :param class_args: positional arguments for each instance.
        :param class_kwargs: keyword arguments for each instance.
        """
        view: t.Callable[..., t.Any]
        if cls.init_every_request:

            def view(**kwargs: t.Any) -> t.Any:
                # ``outer`` is the decorated function the app holds, so a replaced
                # ``view_class`` on it takes effect, as in Flask.
                instance = outer.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]
                return _call(_get_app(), instance.dispatch_request, kwargs)

        else:
            instance = cls(*class_args, **class_kwargs)

            def view(**kwargs: t.Any) -> t.Any:
                return _call(_get_app(), instance.dispatch_request, kwargs)

        outer = view
        if cls.decorators:
            # Name the inner function first so decorators that use ``functools.wraps`` copy
            # the real name rather than "view".
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                outer = decorator(outer)

        attrs = t.cast(t.Any, outer)
        attrs.view_class = cls
        attrs.__name__ = name
        attrs.__doc__ = cls.__doc__
        attrs.__module__ = cls.__module__
        attrs.methods = cls.methods
        attrs.provide_automatic_options = cls.provide_automatic_options
        return outer


class MethodView(View):
    """Dispatch each request to the method named after it: ``get``, ``post``, ``delete``...

    ``methods`` is worked out when the subclass is created, from the handlers it defines or
    inherits and from its bases' ``methods``, so the route allows exactly what the class
    implements (and answers 405 with the right ``Allow`` for the rest). A class that sets
    ``methods`` itself keeps it. ``HEAD`` falls back to ``get``.
    """

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" in cls.__dict__:
            return
        methods: set[str] = set()
        for base in cls.__bases__:
            base_methods = getattr(base, "methods", None)
            if base_methods:
                methods.update(base_methods)
        for name in http_method_funcs:
            if hasattr(cls, name):
                methods.add(name.upper())
        if methods:
            cls.methods = methods

    def dispatch_request(self, **kwargs: t.Any) -> t.Any:
        """Call the handler for the request's method, running an ``async def`` one to completion.

        :raises AssertionError: no handler for the method; the route allowed a method the class
            does not implement (an explicit ``methods``), which is a programming error, so it
            ends as a 500 as in Flask.
        """
        method = _get_request().method
        handler = getattr(self, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(self, "get", None)
        assert handler is not None, f"Unimplemented method {method!r}"
        return _call(_get_app(), handler, kwargs)


__all__ = ["MethodView", "View", "http_method_funcs"]
