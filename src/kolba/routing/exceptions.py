"""Exceptions the router raises besides the plain 404 and 405.

``NotFound`` and ``MethodNotAllowed`` come from :mod:`kolba.http.exceptions`; the
classes here are the routing-specific ones Flask code catches by name.
"""

from __future__ import annotations

import difflib
import typing as t

from markupsafe import escape

from kolba.http.exceptions import BadRequest, HTTPException

if t.TYPE_CHECKING:
    from kolba.routing.map import Map
    from kolba.routing.rules import Rule

__all__ = ["BuildError", "RequestRedirect", "RoutingException", "WebsocketMismatch"]


class RoutingException(Exception):
    """The base of the routing exceptions that are not plain HTTP errors.

    Flask's error handling returns these as responses instead of passing them to
    user error handlers.
    """


class RequestRedirect(HTTPException, RoutingException):
    """The URL is not canonical; redirect to :attr:`new_url` with a *308*.

    Raised for a missing trailing slash, merged slashes, a URL spelling out a rule
    default, an alias rule, or a rule's ``redirect_to``. 308 keeps the method and
    body, so a redirected POST is not silently turned into a GET.

    :param new_url: the target, percent-encoded. The router knows only the path;
        the application prefixes the script root and appends the query string.
    """

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(new_url)
        self.new_url = new_url

    def get_body(self, scope: t.Any = None) -> str:
        location = escape(self.new_url)
        return (
            "<!doctype html>\n"
            "<html lang=en>\n"
            "<title>Redirecting...</title>\n"
            "<h1>Redirecting...</h1>\n"
            "<p>You should be redirected automatically to the target URL: "
            f'<a href="{location}">{location}</a>. If not, click the link.\n'
        )

    def get_headers(self, scope: t.Any = None) -> list[tuple[str, str]]:
        headers = super().get_headers(scope)
        if "\r" in self.new_url or "\n" in self.new_url:
            raise ValueError("Redirect target must not contain newline characters.")
        headers.append(("Location", self.new_url))
        return headers


class WebsocketMismatch(BadRequest):
    """*400*: the only matching rule is a WebSocket rule and the request is plain
    HTTP, or the reverse."""


class BuildError(RoutingException, LookupError):
    """No rule of the endpoint can be built from the given values and method.

    :param endpoint: the endpoint asked for.
    :param values: the values given (``None`` values already dropped).
    :param method: the method asked for, if any.
    :param map: the map searched, used to suggest a close rule in the message.
    """

    def __init__(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any],
        method: str | None,
        map: Map | None = None,
    ) -> None:
        super().__init__(endpoint, values, method)
        self.endpoint = endpoint
        self.values = values
        self.method = method
        self.map = map
        self._suggested: Rule | None | bool = False

    @property
    def suggested(self) -> Rule | None:
        """The rule most like what was asked for, computed once on demand."""
        if self._suggested is False:
            self._suggested = self.closest_rule()
        return self._suggested  # type: ignore[return-value]

    def closest_rule(self) -> Rule | None:
        """Score every rule by endpoint-name similarity; ties go to rules that
        accept the values and method, so the hint points at the likely typo."""
        if self.map is None or not self.map._rules:
            return None
        wanted = str(self.endpoint)
        keys = set(self.values or ())

        def score(rule: Rule) -> float:
            ratio = difflib.SequenceMatcher(None, str(rule.endpoint), wanted).ratio()
            return (
                0.98 * ratio
                + 0.01 * bool(keys.issubset(rule.arguments))
                + 0.01 * bool(rule.methods and self.method in rule.methods)
            )

        return max(self.map._rules, key=score)

    def __str__(self) -> str:
        message = [f"Could not build url for endpoint {self.endpoint!r}"]
        if self.method:
            message.append(f" ({self.method!r})")
        if self.values:
            message.append(f" with values {sorted(self.values)!r}")
        message.append(".")
        suggested = self.suggested
        if suggested is not None:
            if self.endpoint == suggested.endpoint:
                if (
                    self.method
                    and suggested.methods is not None
                    and self.method not in suggested.methods
                ):
                    message.append(f" Did you mean to use methods {sorted(suggested.methods)!r}?")
                missing = suggested.arguments.union(suggested.defaults or ()) - set(self.values)
                if missing:
                    message.append(f" Did you forget to specify values {sorted(missing)!r}?")
            else:
                message.append(f" Did you mean {suggested.endpoint!r} instead?")
        return "".join(message)
