"""Cross-site request forgery protection, as Flask-WTF's ``CSRFProtect`` does it, without WTForms.

A forged request comes from another site's page, which the browser sends with the user's
cookies. It cannot read our pages, so it cannot know a token we only hand out inside them: every
state-changing request must carry that token back, in a form field or a header.

The token is a random value kept in the session, handed out signed and timestamped, so a page
can hold a fresh-looking token while the session keeps one secret; a token from another session
or signed with another key never matches.
"""

from __future__ import annotations

import hmac
import os
import typing as t
from urllib.parse import urlsplit

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from .globals import current_app, g, request, session
from .http.exceptions import BadRequest

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .blueprints import Blueprint

__all__ = ["CSRFError", "CSRFProtect", "generate_csrf", "validate_csrf"]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: Bumping this salt invalidates every token handed out before.
SALT = "kolba-csrf-token"

#: The defaults :meth:`CSRFProtect.init_app` puts into the config (``setdefault``).
DEFAULTS: dict[str, t.Any] = {
    "CSRF_ENABLED": True,
    "CSRF_CHECK_DEFAULT": True,
    "CSRF_METHODS": ["POST", "PUT", "PATCH", "DELETE"],
    "CSRF_FIELD_NAME": "csrf_token",
    "CSRF_HEADERS": ["X-CSRFToken", "X-CSRF-Token"],
    "CSRF_TIME_LIMIT": 3600,
    "CSRF_SSL_STRICT": True,
    "CSRF_TRUSTED_ORIGINS": [],
    "CSRF_EXEMPT_BEARER": True,
}

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CSRFError(BadRequest):
    """The request failed the CSRF check: a 400 whose description says why.

    Register ``@app.errorhandler(CSRFError)`` to render a friendlier page (e.g. "your form
    expired, please submit it again").
    """

    description = "The CSRF token is invalid."


def _config(value: t.Any, key: str) -> t.Any:
    """An explicit argument wins; otherwise the app's config, then the module default."""
    if value is not None:
        return value
    return current_app.config.get(key, DEFAULTS.get(key))


def _secret_key(secret_key: str | bytes | None) -> str | bytes:
    key = secret_key
    if key is None:
        key = current_app.config.get("CSRF_SECRET_KEY") or current_app.secret_key
    if not key:
        raise RuntimeError("A secret key is required to use CSRF protection.")
    return key


def _serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def generate_csrf(secret_key: str | bytes | None = None, token_key: str | None = None) -> str:
    """Return a signed token for the current session, creating the session's secret if needed.

    Every call within one request returns the same string, so a page with several forms does
    not sign several times. Also available in templates as ``csrf_token()``.

    :param secret_key: signs the token; ``CSRF_SECRET_KEY`` or the app's secret key by default.
    :param token_key: the session key holding the raw token; ``CSRF_FIELD_NAME`` by default.
    """
    key = _secret_key(secret_key)
    name = t.cast(str, _config(token_key, "CSRF_FIELD_NAME"))
    cache = f"_csrf_token_{name}"
    token = g.get(cache)
    if token is None:
        raw = session.get(name)
        if not isinstance(raw, str):
            raw = os.urandom(32).hex()
            session[name] = raw
        token = _serializer(key).dumps(raw)
        setattr(g, cache, token)
    return t.cast(str, token)


def validate_csrf(
    data: str | bytes | None,
    secret_key: str | bytes | None = None,
    time_limit: int | None = None,
    token_key: str | None = None,
) -> None:
    """Check a token handed back by the client against the session; raise :exc:`CSRFError`.

    :param data: the signed token from the form or header.
    :param time_limit: seconds a token stays valid; ``CSRF_TIME_LIMIT`` by default (``None``
        in the config means no expiry).
    """
    key = _secret_key(secret_key)
    name = t.cast(str, _config(token_key, "CSRF_FIELD_NAME"))
    if time_limit is None:
        time_limit = current_app.config.get("CSRF_TIME_LIMIT", DEFAULTS["CSRF_TIME_LIMIT"])
    if not data:
        raise CSRFError("The CSRF token is missing.")
    raw = session.get(name)
    if not isinstance(raw, str):
        raise CSRFError("The CSRF session token is missing.")
    try:
        signed = _serializer(key).loads(data, max_age=time_limit)
    except SignatureExpired as e:
        raise CSRFError("The CSRF token has expired.") from e
    except BadData as e:
        raise CSRFError("The CSRF token is invalid.") from e
    # Compared as bytes: compare_digest refuses str with non-ASCII characters.
    if not isinstance(signed, str) or not hmac.compare_digest(raw.encode(), signed.encode()):
        raise CSRFError("The CSRF token is invalid.")


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """``(scheme, host, port)`` of a URL with the default port filled in; None if unparsable."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not scheme or parts.hostname is None:
        return None
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, parts.hostname, port


def _is_bearer(value: str | None) -> bool:
    if not value:
        return False
    scheme, _, token = value.strip().partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


class CSRFProtect:
    """Require a valid CSRF token on every state-changing request of an app.

    :param app: the app to protect now; or call :meth:`init_app` later (app factories).
    """

    def __init__(self, app: Kolba | None = None) -> None:
        self._exempt_views: set[str] = set()
        self._exempt_blueprints: list[Blueprint] = []
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Kolba) -> None:
        """Install the check as a ``before_request`` hook and ``csrf_token()`` in templates."""
        app.extensions["csrf"] = self
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, list(value) if isinstance(value, list) else value)
        app.add_template_global(generate_csrf, "csrf_token")

        @app.before_request
        def csrf_protect() -> None:
            config = app.config
            if not config["CSRF_ENABLED"] or not config["CSRF_CHECK_DEFAULT"]:
                return
            # A safe method is answered before anything (the form included) is read.
            if request.method not in config["CSRF_METHODS"]:
                return
            endpoint = request.endpoint
            # No endpoint: routing failed, and the 404 or 405 should reach the client as is.
            if endpoint is None:
                return
            if self._is_exempt(app, endpoint):
                return
            self.protect()

    def _is_exempt(self, app: Kolba, endpoint: str) -> bool:
        if endpoint in self._exempt_views:
            return True
        view = app.view_functions.get(endpoint)
        if (
            f"{getattr(view, '__module__', '')}.{getattr(view, '__name__', '')}"
            in self._exempt_views
        ):
            return True
        # By object, not name: a blueprint may be registered under another name (or twice).
        exempt = self._exempt_blueprints
        return any(app.blueprints.get(name) in exempt for name in request.blueprints)

    @t.overload
    def exempt(self, view: F) -> F: ...
    @t.overload
    def exempt(self, view: str) -> str: ...
    @t.overload
    def exempt(self, view: Blueprint) -> Blueprint: ...

    def exempt(self, view: t.Any) -> t.Any:
        """Leave a view, endpoint or blueprint unchecked; returns its argument (a decorator).

        Use it for webhooks and APIs authenticated some other way than by the session cookie.

        :param view: a view function, a blueprint (all its views, nested ones too), or a
            name: ``"module.function"`` or an endpoint such as ``"api.hook"``.
        """
        from .blueprints import Blueprint

        if isinstance(view, Blueprint):
            self._exempt_blueprints.append(view)
        elif isinstance(view, str):
            self._exempt_views.add(view)
        else:
            self._exempt_views.add(f"{view.__module__}.{view.__name__}")
        return view

    def _get_token(self) -> str | None:
        config = current_app.config
        field = config["CSRF_FIELD_NAME"]
        # Only a form body is parsed: a view that reads ``request.stream`` (JSON, uploads)
        # still finds its body untouched.
        if request.mimetype in _FORM_TYPES:
            form = request.form
            token = form.get(field)
            if token:
                return token
            # Forms rendered with a prefix name the field "<prefix>-csrf_token".
            for key in form:
                if key.endswith(field) and form[key]:
                    return form[key]
        for header in config["CSRF_HEADERS"]:
            value = request.headers.get(header)
            if value:
                return value
        return None

    def protect(self) -> None:
        """Run the check now, for apps with ``CSRF_CHECK_DEFAULT = False``; raise on failure.

        Safe methods (not in ``CSRF_METHODS``) pass, as do requests with a Bearer
        ``Authorization`` header while ``CSRF_EXEMPT_BEARER`` is on: a browser never adds that
        header by itself, so a cross-site page cannot forge it.
        """
        config = current_app.config
        if request.method not in config["CSRF_METHODS"]:
            return
        if config["CSRF_EXEMPT_BEARER"] and _is_bearer(request.headers.get("Authorization")):
            return
        validate_csrf(self._get_token())
        if request.is_secure and config["CSRF_SSL_STRICT"]:
            self._check_referrer(config["CSRF_TRUSTED_ORIGINS"])
        g.csrf_valid = True

    def _check_referrer(self, trusted: t.Iterable[str]) -> None:
        """Over HTTPS, a token leaked to a man in the middle on plain HTTP is not enough: the
        request must also come from one of our own pages."""
        referrer = request.referrer
        if not referrer:
            raise CSRFError("The referrer header is missing.")
        origin = _origin(referrer)
        allowed = {_origin(f"https://{request.host}/"), *(_origin(o) for o in trusted)}
        if origin is None or origin not in allowed:
            raise CSRFError("The referrer does not match the host.")
