"""Sessions: a signed cookie by default, and the interface to swap in server-side storage.

The session is opened lazily, the first time a view (or a hook) touches ``session``; a request
that never does and sends no session cookie costs nothing here.
"""

from __future__ import annotations

import typing as t
from collections.abc import MutableMapping
from datetime import datetime, timezone

from .http.datastructures import CallbackDict
from .json.tag import TaggedJSONSerializer

if t.TYPE_CHECKING:  # pragma: no cover
    from itsdangerous import URLSafeTimedSerializer

    from .app import Kolba
    from .wrappers import Request, Response


class SessionMixin(MutableMapping[str, t.Any]):
    """What every session offers besides being a dict."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (``PERMANENT_SESSION_LIFETIME``)."""
        return self.get("_permanent", False)  # type: ignore[no-any-return]

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: True when the session was just created (it had no valid cookie).
    new = False
    #: True when the session changed and must be saved.
    modified = True
    #: True when the session was read; it then varies the response by ``Cookie``.
    accessed = True


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """The default session: a dict that records reads and writes."""

    modified = False
    accessed = False

    def __init__(
        self,
        initial: t.Mapping[str, t.Any] | t.Iterable[tuple[str, t.Any]] | None = None,
    ) -> None:
        def on_update(self: SecureCookieSession) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().setdefault(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __iter__(self) -> t.Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def keys(self) -> t.Any:
        self.accessed = True
        return super().keys()

    def values(self) -> t.Any:
        self.accessed = True
        return super().values()

    def items(self) -> t.Any:
        self.accessed = True
        return super().items()

    def __bool__(self) -> bool:
        self.accessed = True
        return dict.__len__(self) > 0


class NullSession(SecureCookieSession):
    """The session when none can be stored (no secret key): reading works, writing explains."""

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret "
            "key was set.  Set the secret_key on the "
            "application to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail
    del _fail


class SessionInterface:
    """How sessions are opened and saved; subclass it and set ``app.session_interface``.

    ``open_session`` returns a session (or None for a null session); ``save_session`` writes it
    into the response. The ``get_cookie_*`` helpers read the ``SESSION_COOKIE_*`` settings.
    """

    null_session_class = NullSession
    pickle_based = False

    def make_null_session(self, app: Kolba) -> NullSession:
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        return isinstance(obj, self.null_session_class)

    def should_open_for(self, app: Kolba, request: Request) -> bool:
        """Whether an untouched session must still be opened to be saved (refreshed).

        A request that carries the session cookie may need it re-sent (a permanent session is
        refreshed on every request); one without the cookie has nothing to refresh.
        """
        cookie = request.scope.header("cookie")
        return cookie is not None and self.get_cookie_name(app) in cookie

    def get_cookie_name(self, app: Kolba) -> str:
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Kolba) -> str | None:
        return app.config["SESSION_COOKIE_DOMAIN"]  # type: ignore[no-any-return]

    def get_cookie_path(self, app: Kolba) -> str:
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: Kolba) -> bool:
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]

    def get_cookie_secure(self, app: Kolba) -> bool:
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]

    def get_cookie_samesite(self, app: Kolba) -> str | None:
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Kolba) -> bool:
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]

    def get_expiration_time(self, app: Kolba, session: SessionMixin) -> datetime | None:
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Kolba, session: SessionMixin) -> bool:
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        )

    def open_session(self, app: Kolba, request: Request) -> SessionMixin | None:
        raise NotImplementedError

    def save_session(self, app: Kolba, session: SessionMixin, response: Response) -> None:
        raise NotImplementedError


session_json_serializer = TaggedJSONSerializer()


def _lazy_sha1(string: bytes = b"") -> t.Any:
    import hashlib

    return hashlib.sha1(string)


class _Itsdangerous:
    """itsdangerous, imported on the first signed session (apps without one never load it).

    PERF: an ``import`` statement in ``open_session`` costs every request; this is one
    attribute read once loaded.
    """

    BadSignature: type[Exception]
    serializer_class: t.Any

    def __getattr__(self, name: str) -> t.Any:
        from itsdangerous import BadSignature, URLSafeTimedSerializer

        from .signing import CachingTimestampSigner

        class _Serializer(URLSafeTimedSerializer):
            """Reuses its signer: itsdangerous builds one per ``dumps`` and ``loads`` call,
            though it holds nothing but the settings."""

            def make_signer(self, salt: str | bytes | None = None) -> t.Any:
                signers: dict[t.Any, t.Any] = self.__dict__.setdefault("_signers", {})
                signer = signers.get(salt)
                if signer is None:
                    signer = signers[salt] = super().make_signer(salt)
                return signer

        self.BadSignature = BadSignature
        self.serializer_class = _Serializer
        self.signer_class = CachingTimestampSigner
        return self.__dict__[name]


_itsdangerous = _Itsdangerous()


class SecureCookieSessionInterface(SessionInterface):
    """The session stored in a cookie signed with itsdangerous (readable, not secret, by the
    client; tampering is detected). The format is Flask's, so cookies carry over."""

    salt = "cookie-session"
    digest_method = staticmethod(_lazy_sha1)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession

    def get_signing_serializer(self, app: Kolba) -> URLSafeTimedSerializer | None:
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        digest_method = self.digest_method
        # PERF: one serializer per set of keys and settings, not one per request.
        cache_key = (
            secret_key,
            tuple(fallbacks) if fallbacks else (),
            self.salt,
            self.serializer,
            self.key_derivation,
            digest_method,
        )
        cache: dict[t.Any, URLSafeTimedSerializer] = self.__dict__.setdefault("_serializers", {})
        serializer = cache.get(cache_key)
        if serializer is None:
            if len(cache) > 16:
                cache.clear()
            keys: list[str | bytes] = [*fallbacks, secret_key] if fallbacks else [secret_key]
            if digest_method is _lazy_sha1:
                # PERF: the same SHA-1, but hmac only takes its C fast path for hashlib's own
                # constructor; a Python wrapper sends every HMAC through the pure-Python one.
                import hashlib

                digest_method = hashlib.sha1
            serializer = cache[cache_key] = _itsdangerous.serializer_class(
                keys,
                salt=self.salt,
                serializer=self.serializer,
                signer=_itsdangerous.signer_class,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": digest_method,
                },
            )
        return serializer

    def open_session(self, app: Kolba, request: Request) -> SecureCookieSession | None:
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = s.loads(val, max_age=max_age)
        except (_itsdangerous.BadSignature, ValueError, TypeError, KeyError):
            # A tampered, expired or malformed cookie is an empty session, never an error.
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Kolba, session: SessionMixin, response: Response) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                response.vary.add("Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        expires = self.get_expiration_time(app, session)
        s = self.get_signing_serializer(app)
        assert s is not None
        val = s.dumps(dict(session))
        response.set_cookie(
            name,
            val,
            expires=expires,
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        if not session.accessed:  # PERF: else added above; parsing Vary again changes nothing
            response.vary.add("Cookie")
