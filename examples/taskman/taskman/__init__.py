"""taskman: Kolba's flagship example, a multi-user task manager.

Quick start::

    pip install -e examples/taskman
    kolba --app taskman init-db && kolba --app taskman run --debug
"""

from __future__ import annotations

import os
import typing as t
from collections.abc import Mapping

import click

from kolba import Kolba, g
from kolba.csrf import CSRFProtect

from . import api, auth, db, errors, tasks

#: The key used when none is configured. It is public, so ``create_app`` refuses to run with it
#: outside debug and testing: anyone knowing it could forge a session and sign in as anyone.
DEV_SECRET_KEY = "dev-only-insecure-key"


__all__ = ["create_app", "DEV_SECRET_KEY"]


def create_app(test_config: Mapping[str, t.Any] | None = None) -> Kolba:
    """Build the app.

    Configuration, later sources winning: the defaults below; ``KOLBA_*`` environment
    variables; ``DATABASE_URL``; then ``test_config``.
    """
    app = Kolba(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=DEV_SECRET_KEY,
        DATABASE_URL=None,
        TASKS_PER_PAGE=20,
        TRUSTED_PROXIES=0,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.from_prefixed_env()
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if test_config is not None:
        app.config.from_mapping(test_config)

    if (
        not (app.debug or app.testing)
        and app.config["SECRET_KEY"] == DEV_SECRET_KEY
        and _may_serve_requests()
    ):
        raise RuntimeError(
            "taskman refuses to run with the built-in development secret key outside debug"
            " and testing: set KOLBA_SECRET_KEY to a long random value, for example"
            ' python -c "import secrets; print(secrets.token_hex(32))"'
        )
    if not app.config["DATABASE_URL"]:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "taskman.sqlite3")
        app.config["DATABASE_URL"] = f"sqlite:///{path}"

    per_page = app.config["TASKS_PER_PAGE"]
    if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= 1000:
        raise ValueError(f"TASKS_PER_PAGE must be a whole number from 1 to 1000, not {per_page!r}")
    _install_proxy_fix(app)
    db.init_app(app)
    errors.init_app(app)
    # Who the user is must be known before the CSRF check runs (registered after this), so an
    # API call without credentials is a 401, and one with a bearer token is judged by it alone.
    app.before_request(auth.load_user)
    CSRFProtect(app)

    app.register_blueprint(auth.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(api.bp)
    app.add_url_rule("/", "index", tasks.index)

    @app.context_processor
    def inject_user() -> dict[str, t.Any]:
        return {"current_user": g.get("user")}

    app.after_request(_security_headers)
    return app


def _may_serve_requests() -> bool:
    """Whether this app may answer requests: always, except when the ``kolba`` command loads it
    for a command other than ``run`` (``init-db``, ``routes``, ``--help``). Those never serve, so
    the quick start's ``kolba --app taskman init-db`` works before a key is chosen, while
    ``kolba run`` without ``--debug``, gunicorn and uWSGI still refuse the public key."""
    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.command.name == "run"


def _install_proxy_fix(app: Kolba) -> None:
    """Trust ``TRUSTED_PROXIES`` reverse proxies' ``X-Forwarded-*`` headers.

    Off by default: without a proxy in front, those headers come from the client and would let
    it fake its address and scheme.
    """
    count = app.config["TRUSTED_PROXIES"]
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"TRUSTED_PROXIES must be a whole number >= 0, not {count!r}")
    if count == 0:
        return
    from kolba.middleware import ProxyFix

    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count, x_prefix=count
    )


def _security_headers(response: t.Any) -> t.Any:
    """Defence in depth: no inline script or foreign assets, no framing, no MIME sniffing."""
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    return response
