"""The URL map: the set of rules, matching a request to one, building URLs back.

This is what Flask code reaches as ``app.url_map``. Unlike Werkzeug there is no
``bind`` step and no adapter object per request: :meth:`Map.match` and
:meth:`Map.build` take what they need as arguments, so the application parses the host
once and nothing is allocated per request beyond the values dict.
"""

from __future__ import annotations

import re
import typing as t
from pprint import pformat
from urllib.parse import quote, urljoin

from kolba.http.exceptions import HTTPException, MethodNotAllowed, NotFound
from kolba.http.scope import UPPER_METHODS as _UPPER_METHODS
from kolba.routing.converters import DEFAULT_CONVERTERS, BaseConverter
from kolba.routing.exceptions import BuildError, RequestRedirect, WebsocketMismatch
from kolba.routing.matcher import Matcher, SlashRequired, State
from kolba.routing.rules import Rule

__all__ = ["Map"]

_PATH_SAFE = "!$&'()*+,/:;=@"
_merge_re = re.compile("/{2,}")
_simple_rule_re = re.compile(r"<([^>]+)>")


class _RuleFactory(t.Protocol):
    def get_rules(self, map: Map) -> t.Iterable[Rule]: ...


class Map:
    """All URL rules of an application and the settings they share.

    :param rules: rules (or anything with ``get_rules(map)``) to add now.
    :param default_subdomain: the subdomain of rules that name none, and the one
        matched when the application does no subdomain matching.
    :param strict_slashes: redirect ``/branch`` to ``/branch/`` for rules ending in a
        slash (and 404 ``/leaf/``); rules may override it.
    :param merge_slashes: redirect URLs with repeated slashes to the merged form when
        that matches; rules may override it.
    :param converters: converters to add to (or replace in) the defaults.
    :param host_matching: match rules' ``host`` against the full host instead of
        ``subdomain`` against the subdomain.
    :param redirect_defaults: redirect a URL that spells out a rule default to the
        rule that has it as default, so each page has one URL.
    :param sort_parameters: sort query parameters of built URLs, for stable links.
    :param sort_key: the sort key used with *sort_parameters*.
    """

    #: The converters a new map starts with (copied, so maps never share edits).
    default_converters: t.Mapping[str, type[BaseConverter]] = DEFAULT_CONVERTERS

    def __init__(
        self,
        rules: t.Iterable[_RuleFactory] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        converters: t.Mapping[str, type[BaseConverter]] | None = None,
        host_matching: bool = False,
        *,
        redirect_defaults: bool = True,
        sort_parameters: bool = False,
        sort_key: t.Callable[[t.Any], t.Any] | None = None,
    ) -> None:
        self._matcher = Matcher(merge_slashes)
        # domain -> path -> trie state, for rules without any variable.
        self._static: dict[str, dict[str, State]] = {}
        # path -> method -> rule, for static rules of the default subdomain that match plainly
        # (see _build_fast_static); None until built, and again after every add.
        self._fast_static: dict[str, dict[str, Rule]] | None = None
        self._rules: list[Rule] = []
        self._rules_by_endpoint: dict[t.Any, list[Rule]] = {}
        self._shapes: dict[tuple[t.Any, ...], list[Rule]] = {}
        self.default_subdomain = default_subdomain
        self.strict_slashes = strict_slashes
        self.host_matching = host_matching
        self.redirect_defaults = redirect_defaults
        self.sort_parameters = sort_parameters
        self.sort_key = sort_key
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        for rulefactory in rules or ():
            self.add(rulefactory)

    @property
    def merge_slashes(self) -> bool:
        """Whether URLs with repeated slashes redirect to their merged form."""
        return self._matcher.merge_slashes

    @merge_slashes.setter
    def merge_slashes(self, value: bool) -> None:
        self._matcher.merge_slashes = value

    # -- registering -----------------------------------------------------------------

    def add(self, rulefactory: _RuleFactory) -> None:
        """Compile and add a rule now; conflicts are rejected here, not at request time.

        :param rulefactory: a :class:`Rule` or a Werkzeug-style rule factory.
        :raises ValueError: the rule is malformed or conflicts with an existing one.
        :raises LookupError: the rule names an unknown converter.
        """
        self._fast_static = None
        for rule in rulefactory.get_rules(self):
            rule.bind(self)
            try:
                self._check_conflict(rule)
            except ValueError:
                rule.map = None  # type: ignore[assignment]
                raise
            if not rule.build_only:
                self._shapes.setdefault(rule._shape, []).append(rule)
                state = self._matcher.add(rule)
                if all(part.static for part in rule._parts):
                    domain = rule._parts[0].content
                    path = "/".join(part.content for part in rule._parts[1:])
                    self._static.setdefault(domain, {})[path] = state
            self._rules.append(rule)
            rules = self._rules_by_endpoint.setdefault(rule.endpoint, [])
            rules.append(rule)
            rules.sort(key=Rule.build_compare_key)
            self._update_redirects(rules)

    def _build_fast_static(self) -> dict[str, dict[str, Rule]]:
        """``path -> method -> rule`` for the requests :meth:`match` answers with a static rule
        of the default subdomain, no defaults and no redirect, and an empty values dict.

        PERF: the application looks a request up here before calling :meth:`match`; a miss
        (anything else: variables, redirects, 404, 405) goes through :meth:`match` as usual.
        """
        table: dict[str, dict[str, Rule]] = {}
        for path, state in self._static.get(self.default_subdomain, {}).items():
            if any(rule.methods is None and not rule.websocket for rule in state.rules):
                continue
            by_method: dict[str, Rule | None] = {}
            for rule in state.rules:  # match() takes the first rule that accepts the method
                if rule.websocket:
                    continue
                plain = not rule.defaults and not rule._post
                for method in rule.methods:  # type: ignore[union-attr]
                    by_method.setdefault(method, rule if plain else None)
            table[path] = {m: r for m, r in by_method.items() if r is not None}
        self._fast_static = table
        return table

    def _check_conflict(self, rule: Rule) -> None:
        # A rule added without a view (Flask's tutorial adds ``/`` again as ``index`` to build
        # URLs with) shadows nothing: the earlier rule keeps matching, as in Werkzeug.
        if rule.build_only or getattr(rule, "alias_without_view", False):
            return
        for other in self._shapes.get(rule._shape, ()):
            if _methods_overlap(rule, other):
                raise ValueError(
                    f"URL rule {rule!r} conflicts with {other!r}: same URL shape and"
                    " overlapping methods, so one of them could never match."
                )

    def _update_redirects(self, rules: list[Rule]) -> None:
        """Precompute, per rule of one endpoint, the rules that are its canonical
        spelling, so matching checks a (usually empty) tuple instead of scanning."""
        for i, rule in enumerate(rules):
            candidates = tuple(r for r in rules[:i] if r.provides_defaults_for(rule))
            rule._redirect_candidates = candidates
            rule._post = bool(
                (self.redirect_defaults and (candidates or rule.alias))
                or rule.redirect_to is not None
            )

    def iter_rules(self, endpoint: t.Any | None = None) -> t.Iterator[Rule]:
        """Iterate over all rules in the order added, or those of one endpoint in
        build order.

        :param endpoint: only this endpoint's rules (``KeyError`` if it has none).
        """
        if endpoint is not None:
            return iter(self._rules_by_endpoint[endpoint])
        return iter(self._rules)

    def update(self) -> None:
        """Nothing to do: rules are compiled and sorted when added. Kept because
        Werkzeug code calls it."""

    def is_endpoint_expecting(self, endpoint: t.Any, *arguments: str) -> bool:
        """Whether some rule of *endpoint* takes all of *arguments*.

        :param endpoint: the endpoint to look at.
        :param arguments: argument names.
        """
        wanted = set(arguments)
        return any(wanted <= rule.arguments for rule in self._rules_by_endpoint[endpoint])

    # -- matching --------------------------------------------------------------------

    def match(
        self,
        path: str,
        method: str,
        subdomain: str | None = None,
        host: str | None = None,
        websocket: bool = False,
    ) -> tuple[Rule, dict[str, t.Any]]:
        """Find the rule for a request and convert its variables.

        :param path: the percent-decoded path; empty means ``/``.
        :param method: the request method.
        :param subdomain: the request's subdomain; ``None`` when the application does
            no subdomain matching, which matches the map's default subdomain.
        :param host: the request's host, used when the map does host matching.
        :param websocket: whether the request is a WebSocket handshake.
        :returns: the rule and a new dict of values (converted, plus defaults).
        :raises NotFound: no rule matches the path.
        :raises MethodNotAllowed: rules match the path, none takes the method.
        :raises RequestRedirect: the canonical URL differs (trailing slash, merged
            slashes, defaults, alias, ``redirect_to``).
        """
        if self.host_matching:
            domain = host.lower() if host else ""
        else:
            domain = self.default_subdomain if subdomain is None else subdomain
        if not path:
            path = "/"
        elif path[0] != "/" or path[1:2] == "/":
            path = "/" + path.lstrip("/")
        if method not in _UPPER_METHODS:
            method = method.upper()

        # PERF: fully static URLs are one dict lookup; the trie is only searched when
        # that misses or no rule there takes the method.
        paths = self._static.get(domain)
        if paths is not None:
            state = paths.get(path)
            if state is not None:
                for rule in state.rules:
                    if (rule.methods is None or method in rule.methods) and (
                        rule.websocket == websocket
                    ):
                        values = dict(rule.defaults) if rule.defaults else {}
                        if rule._post:
                            self._post_match(rule, values, method)
                        return rule, values

        return self._match(domain, path, method, websocket)

    def _match(
        self, domain: str, path: str, method: str, websocket: bool
    ) -> tuple[Rule, dict[str, t.Any]]:
        """:meth:`match` for a domain already chosen, a path that starts with exactly one slash
        and an upper-case method (what a request holds), without the static shortcut.

        PERF: the application calls this for the URLs its own static table did not answer.
        """
        misses: list[t.Any] = []
        matcher = self._matcher
        root = matcher.root
        state = root.static.get(domain)
        try:
            if state is not None and not root.dynamic:
                # PERF: Matcher.match inlined for a map with no subdomain variable.
                parts = path.split("/")
                fn = state.fn or matcher.compile(state, 0)
                rv = fn(parts, 0, len(parts), method, websocket, misses)
            else:
                rv = matcher.match(domain, path, method, websocket, misses)
        except SlashRequired:
            raise RequestRedirect(quote(path + "/", safe=_PATH_SAFE)) from None
        if rv is None:
            if matcher.merge_slashes and "//" in path:
                merged = _merge_re.sub("/", path)
                try:
                    rv = matcher.match(domain, merged, method, websocket, misses)
                except SlashRequired:
                    raise RequestRedirect(quote(merged + "/", safe=_PATH_SAFE)) from None
                if rv is not None and rv[0].merge_slashes is not False:
                    raise RequestRedirect(quote(merged, safe=_PATH_SAFE))
            raise _no_match(misses)
        rule, values = rv
        if rule._post:
            self._post_match(rule, values, method)
        return rv

    def _post_match(self, rule: Rule, values: dict[str, t.Any], method: str) -> None:
        """Raise the redirect a matched rule asks for, if any (rare, so kept off the
        main path behind a precomputed flag)."""
        if self.redirect_defaults:
            if rule.alias:
                _, url = self.build(rule.endpoint, values, method, append_unknown=False)
                raise RequestRedirect(url)
            for r in rule._redirect_candidates:
                if r.suitable_for(values, method):
                    built = r.build({**values, **(r.defaults or {})})
                    if built is not None:
                        raise RequestRedirect(built[1])
        target = rule.redirect_to
        if target is None:
            return
        if isinstance(target, str):

            def fill(m: re.Match[str]) -> str:
                name = m.group(1)
                conv = rule._converters.get(name)
                if conv is None:  # a value that comes from the rule's defaults
                    return quote(str(values[name]), safe=_PATH_SAFE)
                return conv.to_url(values[name])

            url = _simple_rule_re.sub(fill, target)
        else:
            url = target(self, **values)
        raise RequestRedirect(urljoin("/", url))

    def allowed_methods(
        self, path: str, subdomain: str | None = None, host: str | None = None
    ) -> list[str]:
        """The methods the URL accepts, sorted, for ``OPTIONS`` and ``Allow``.

        :param path: the percent-decoded path.
        :param subdomain: as for :meth:`match`.
        :param host: as for :meth:`match`.
        """
        try:
            self.match(path, "--", subdomain, host)
        except MethodNotAllowed as e:
            return list(e.valid_methods or ())
        except HTTPException:
            pass
        return []

    # -- building --------------------------------------------------------------------

    def build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        append_unknown: bool = True,
    ) -> tuple[str | None, str]:
        """Build the URL of *endpoint*.

        :param endpoint: the endpoint to build.
        :param values: the variables; ``None`` values are dropped, values equal to a
            rule default may be left out, the rest goes to the query string.
        :param method: only rules accepting this method; when ``None``, rules
            accepting ``GET`` are preferred, as Werkzeug's adapter does.
        :param append_unknown: put values the rule does not use in the query string.
        :returns: ``(domain, path)``: the built subdomain (or host), or ``None`` for a
            rule without one, and the quoted path with its query string.
        :raises BuildError: no rule of the endpoint fits.
        """
        if values:
            getlist = None if type(values) is dict else getattr(values, "getlist", None)
            if getlist is not None:
                multi: dict[str, t.Any] = {}
                for key in values:
                    items = getlist(key)
                    if items:
                        multi[key] = items[0] if len(items) == 1 else items
                values = multi
            else:
                values = {k: v for k, v in values.items() if v is not None}
        else:
            values = {}
        rules = self._rules_by_endpoint.get(endpoint, ())
        rv = None
        if method is None:
            rv = _partial_build(rules, values, "GET", append_unknown)
        if rv is None:
            rv = _partial_build(rules, values, method, append_unknown)
        if rv is None:
            raise BuildError(endpoint, values, method, self)
        return rv

    def __repr__(self) -> str:
        return f"{type(self).__name__}({pformat(self._rules)})"


def _partial_build(
    rules: t.Iterable[Rule], values: t.Mapping[str, t.Any], method: str | None, append: bool
) -> tuple[str | None, str] | None:
    for rule in rules:
        if rule.suitable_for(values, method):
            built = rule.build(values, append)
            if built is not None:
                return (built[0] if rule._has_domain else None), built[1]
    return None


def _effective_methods(rule: Rule) -> set[str] | None:
    if rule.methods is None:
        return None
    if rule.provide_automatic_options:
        # The application adds OPTIONS to every rule it answers OPTIONS for itself;
        # that shared method is not a conflict.
        return rule.methods - {"OPTIONS"}
    return rule.methods


def _methods_overlap(a: Rule, b: Rule) -> bool:
    ma = _effective_methods(a)
    mb = _effective_methods(b)
    if ma is None or mb is None:
        return True
    return not ma.isdisjoint(mb)


def _no_match(misses: list[t.Any]) -> HTTPException:
    allowed: set[str] = set()
    websocket_mismatch = False
    for methods in misses:
        if methods is None:
            websocket_mismatch = True
        else:
            allowed.update(methods)
    if allowed:
        return MethodNotAllowed(valid_methods=sorted(allowed))
    if websocket_mismatch:
        return WebsocketMismatch()
    return NotFound()
