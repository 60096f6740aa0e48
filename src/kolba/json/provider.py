"""JSON providers: how an app serializes and parses JSON, swappable per app as ``app.json``."""

from __future__ import annotations

import json
import typing as t
import weakref
from datetime import date

from ..http.dates import http_date

if t.TYPE_CHECKING:  # pragma: no cover
    from ..app import Kolba

__all__ = ["DefaultJSONProvider", "JSONProvider"]


class _App(t.Protocol):
    """What a provider needs from its app; a protocol so tests can pass a stub."""

    @property
    def debug(self) -> bool: ...

    @property
    def response_class(self) -> t.Any: ...


class JSONProvider:
    """The minimal JSON interface an app uses; subclass it to plug in another library.

    Holds only a weak proxy to the app so the app and its provider do not keep
    each other alive.

    :param app: The application this provider serves.
    """

    def __init__(self, app: Kolba | _App) -> None:
        self._app: t.Any = weakref.proxy(app)

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` to a JSON string.

        :param obj: The data to serialize.
        :param kwargs: Options for the underlying library.
        """
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Serialize ``obj`` into a text file.

        :param obj: The data to serialize.
        :param fp: A file opened for writing text.
        :param kwargs: Options for the underlying library.
        """
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse a JSON string or UTF-8 bytes.

        :param s: The text to parse.
        :param kwargs: Options for the underlying library.
        """
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Parse JSON read from a file.

        :param fp: A file opened for reading text or bytes.
        :param kwargs: Options for the underlying library.
        """
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> t.Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")

        if not args and not kwargs:
            return None

        if len(args) == 1:
            return args[0]

        return args or kwargs

    def response(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Serialize the arguments into an ``application/json`` response (``jsonify``).

        No arguments give ``null``, one is used as is, several become a list,
        keyword arguments a dict; mixing both is an error.

        :param args: One value, or several to send as a list.
        :param kwargs: Items to send as an object.
        """
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


def _default(o: t.Any) -> t.Any:
    """Serialize the common types :mod:`json` refuses."""
    if isinstance(o, date):
        return http_date(o)

    # Imported on first use: only values json cannot encode get here.
    import dataclasses
    import decimal
    import uuid

    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)

    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)

    if hasattr(o, "__html__"):
        return str(o.__html__())

    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _make_encoder(
    ensure_ascii: bool, sort_keys: bool, default: t.Callable[[t.Any], t.Any], indent: bool
) -> t.Callable[[t.Any], str]:
    """An ``obj -> str`` function equal to ``json.dumps`` with these settings, built once.

    PERF: for compact output this holds the C encoder itself; :class:`json.JSONEncoder` would
    build a new one on every call. Circular references are not tracked (a cycle raises
    RecursionError instead of ValueError), because a shared marker dict is not thread-safe.
    """
    if not indent:
        try:
            from json.encoder import (  # type: ignore[attr-defined]
                c_make_encoder,
                encode_basestring,
                encode_basestring_ascii,
            )
        except ImportError:  # pragma: no cover - not CPython
            c_make_encoder = None
        if c_make_encoder is not None and encode_basestring_ascii is not None:
            c_encode = c_make_encoder(
                None,
                default,
                encode_basestring_ascii if ensure_ascii else encode_basestring,
                None,
                ":",
                ",",
                sort_keys,
                False,
                True,
            )

            def encode(obj: t.Any) -> str:
                return "".join(c_encode(obj, 0))

            return encode
    encoder = json.JSONEncoder(
        ensure_ascii=ensure_ascii,
        sort_keys=sort_keys,
        default=default,
        indent=2 if indent else None,
        separators=None if indent else (",", ":"),
    )
    return encoder.encode


class DefaultJSONProvider(JSONProvider):
    """The stdlib :mod:`json` provider with Flask's defaults and extra types.

    Dates become HTTP dates, ``Decimal`` and ``UUID`` strings, dataclasses
    dicts, and objects with ``__html__`` their markup. Keys are sorted and
    output is ASCII so responses are stable and safe to embed.
    """

    #: Serializes the types :mod:`json` does not know; replace to add more.
    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)

    def __init__(self, app: Kolba | _App) -> None:
        super().__init__(app)
        self._encoders: dict[tuple[t.Any, ...], t.Callable[[t.Any], str]] = {}

    #: Escape non-ASCII as ``\\uXXXX``, so output survives any transport charset.
    ensure_ascii = True

    #: Sort object keys, so equal data gives equal bytes (and cacheable ETags).
    sort_keys = True

    #: ``None``: indent responses only in debug mode; ``True``/``False``: always/never compact.
    compact: bool | None = None

    #: The mimetype of :meth:`response`.
    mimetype = "application/json"

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize with this provider's defaults; keyword arguments override them.

        :param obj: The data to serialize.
        :param kwargs: Passed to :func:`json.dumps`.
        """
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse with :func:`json.loads`, which also detects UTF-16/32 bytes.

        :param s: The text to parse.
        :param kwargs: Passed to :func:`json.loads`.
        """
        return json.loads(s, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Serialize the arguments into a response, compact unless debugging.

        The body ends with a newline so ``curl`` output does not run into the prompt.

        :param args: One value, or several to send as a list.
        :param kwargs: Items to send as an object.
        """
        if not kwargs and len(args) == 1:
            obj = args[0]
        elif kwargs and not args:
            obj = kwargs  # PERF: jsonify(a=1) without the _prepare_response_obj call
        else:
            obj = self._prepare_response_obj(args, kwargs)
        app = self._app
        compact = self.compact
        indent = compact is False or (compact is None and bool(app.debug))
        if type(self).dumps is DefaultJSONProvider.dumps:
            # PERF: reuse an encoder built for the current settings instead of letting
            # json.dumps build one per call (most of the cost of a small response).
            key = (self.ensure_ascii, self.sort_keys, self.default, indent)
            encode = self._encoders.get(key)
            if encode is None:
                if len(self._encoders) > 16:
                    self._encoders.clear()
                encode = self._encoders[key] = _make_encoder(*key)
            body = encode(obj)
        elif indent:
            # json.dumps with an indent already uses "," and ": " separators.
            body = self.dumps(obj, indent=2)
        else:
            body = self.dumps(obj, separators=(",", ":"))
        return app.response_class(body + "\n", mimetype=self.mimetype)
