"""The matcher: a dict of fully static URLs in front of a segment trie.

Each trie state has a dict of static transitions (one lookup per segment, whatever
the number of routes) and a short list of dynamic transitions sorted by weight. The
walk is a depth-first search over the path *by index* (no ``split``), trying static
before dynamic at every level and backtracking on failure, which reproduces
Werkzeug's ``StateMachineMatcher`` priorities.
"""

from __future__ import annotations

import re
import typing as t

from kolba.routing.converters import BaseConverter, ValidationError

if t.TYPE_CHECKING:
    from kolba.routing.rules import Rule, RulePart, Weight

__all__ = ["Matcher", "SlashRequired"]

Result = tuple["Rule", dict[str, t.Any]]


class SlashRequired(Exception):
    """The path matches a rule only with a trailing slash added (internal)."""


class _Transition:
    """A dynamic edge: a compiled part regex (or ``None`` for a bare ``[^/]+``)."""

    __slots__ = ("final", "groups", "key", "pattern", "simple", "state", "suffixed", "weight")

    def __init__(self, part: RulePart, state: State) -> None:
        self.final = part.final
        self.suffixed = part.suffixed
        self.weight: Weight = part.weight
        self.key = (part.content, part.final, part.suffixed, part.weight)
        self.groups = tuple(f"__kolba_{i}" for i in range(len(part.names)))
        # PERF: the default converter alone in a segment matches any non-empty
        # segment; a truthiness test replaces a regex call on the commonest route.
        plain = f"(?P<__kolba_0>{BaseConverter.regex})\\Z"
        self.pattern: re.Pattern[str] | None = (
            None if part.content == plain and not part.final else re.compile(part.content)
        )
        # PERF: when the regex has no groups but ours, m.groups() is the values.
        self.simple = (
            self.pattern is not None
            and not part.suffixed
            and self.pattern.groups == len(self.groups)
        )
        self.state = state


class State:
    """A trie node: rules ending here, static and dynamic ways onwards."""

    __slots__ = ("dynamic", "rules", "static")

    def __init__(self) -> None:
        self.dynamic: list[_Transition] = []
        self.rules: list[Rule] = []
        self.static: dict[str, State] = {}


class Matcher:
    """Holds the trie and walks it.

    :param merge_slashes: retry a failed match with repeated slashes merged.
    """

    def __init__(self, merge_slashes: bool) -> None:
        self.root = State()
        self.merge_slashes = merge_slashes

    def add(self, rule: Rule) -> State:
        """Insert *rule*'s parts and return the state it ends at."""
        state = self.root
        for part in rule._parts:
            if part.static:
                nxt = state.static.get(part.content)
                if nxt is None:
                    nxt = state.static[part.content] = State()
                state = nxt
                continue
            key = (part.content, part.final, part.suffixed, part.weight)
            for transition in state.dynamic:
                if transition.key == key:
                    state = transition.state
                    break
            else:
                transition = _Transition(part, State())
                state.dynamic.append(transition)
                # Stable sort: equal weights keep insertion order, as Werkzeug's.
                state.dynamic.sort(key=lambda tr: tr.weight)
                state = transition.state
        state.rules.append(rule)
        return state

    def match(
        self, domain: str, path: str, method: str, websocket: bool, misses: list[t.Any]
    ) -> Result | None:
        """Find the rule for ``(domain, path)``.

        :param domain: the subdomain, or the host with host matching.
        :param path: the path, starting with ``/``.
        :param method: the upper-case request method.
        :param websocket: whether the request is a WebSocket handshake.
        :param misses: collects the method sets of rules that matched the path but
            not the method (and ``None`` for a WebSocket mismatch) for 405/400.
        :raises SlashRequired: the path needs a trailing slash.
        """
        root = self.root
        walk = self._walk
        n = len(path)
        state = root.static.get(domain)
        if state is not None:
            rv = walk(state, path, 0, n, (), method, websocket, misses)
            if rv is not None:
                return rv
        for transition in root.dynamic:
            pattern = transition.pattern
            if pattern is None:
                if not domain:
                    continue
                values: tuple[str, ...] = (domain,)
            else:
                m = pattern.match(domain)
                if m is None:
                    continue
                values = _groups(m, transition)
            rv = walk(transition.state, path, 0, n, values, method, websocket, misses)
            if rv is not None:
                return rv
        return None

    def _walk(
        self,
        state: State,
        path: str,
        pos: int,
        n: int,
        values: tuple[str, ...],
        method: str,
        websocket: bool,
        misses: list[t.Any],
    ) -> Result | None:
        # `pos` is where the next segment starts; `pos > n` means no segment is left,
        # `pos == n` means exactly one empty segment (a trailing slash) is left.
        if pos > n:
            for rule in state.rules:
                rv = _accept(rule, values, method, websocket, misses)
                if rv is not None:
                    return rv
            slash = state.static.get("")
            if slash is not None:
                for rule in slash.rules:
                    if rule.websocket == websocket and (
                        rule.methods is None or method in rule.methods
                    ):
                        if rule.strict_slashes:
                            raise SlashRequired()
                        rv = _convert(rule, values)
                        if rv is not None:
                            return rv
            return None

        end = path.find("/", pos)
        if end < 0:
            end = n
        segment = path[pos:end]
        nxt = state.static.get(segment)
        # PERF: while a state offers nothing but static ways on, descend in a loop
        # instead of recursing: there is nothing to backtrack to at such a level.
        while nxt is not None and not state.dynamic and pos != n:
            state = nxt
            pos = end + 1
            if pos > n:
                return self._walk(state, path, pos, n, values, method, websocket, misses)
            end = path.find("/", pos)
            if end < 0:
                end = n
            segment = path[pos:end]
            nxt = state.static.get(segment)
        if nxt is not None:
            rv = self._walk(nxt, path, end + 1, n, values, method, websocket, misses)
            if rv is not None:
                return rv
        for transition in state.dynamic:
            pattern = transition.pattern
            if pattern is None:
                if not segment:
                    continue
                after = end + 1
                found: tuple[str, ...] = (*values, segment)
            else:
                if transition.final:
                    target = path[pos:]
                    after = n + 1
                else:
                    target = segment
                    after = end + 1
                m = pattern.match(target)
                if m is None:
                    continue
                if transition.suffixed and m.groups()[-1] == "/":
                    after = n
                found = values + (m.groups() if transition.simple else _groups(m, transition))
            nxt = transition.state
            if after > n and not nxt.static:
                # PERF: the path ends at a state with no way on (the last variable of most
                # rules): accept its rules here instead of recursing into _walk to do it.
                for rule in nxt.rules:
                    if rule.websocket == websocket and (
                        rule.methods is None or method in rule.methods
                    ):
                        rv = _convert(rule, found)
                    else:
                        rv = _accept(rule, found, method, websocket, misses)
                    if rv is not None:
                        return rv
                continue
            rv = self._walk(nxt, path, after, n, found, method, websocket, misses)
            if rv is not None:
                return rv

        if pos == n:
            # Only a trailing slash is left: rules that do not insist on their
            # exact slash form match here.
            for rule in state.rules:
                if not rule.strict_slashes:
                    rv = _accept(rule, values, method, websocket, misses)
                    if rv is not None:
                        return rv
        return None


def _groups(m: re.Match[str], transition: _Transition) -> tuple[str, ...]:
    group = m.group
    return tuple([group(name) for name in transition.groups])


def _accept(
    rule: Rule, values: tuple[str, ...], method: str, websocket: bool, misses: list[t.Any]
) -> Result | None:
    """Return the match if *rule* takes this method and its converters accept the
    values; otherwise record why not, for the 405/400 decision."""
    if rule.methods is not None and method not in rule.methods:
        # A converter rejecting the value means the URL is not this rule's at all,
        # so its methods must not turn a 404 into a 405.
        if _convert(rule, values) is not None:
            misses.append(rule.methods)
        return None
    if rule.websocket != websocket:
        misses.append(None)
        return None
    return _convert(rule, values)


def _convert(rule: Rule, values: tuple[str, ...]) -> Result | None:
    converters = rule._match_converters
    try:
        if len(converters) == 1:
            # PERF: one variable is the common case; skip the loop machinery.
            name, to_python = converters[0]
            value = values[0]
            if to_python is None:
                result: dict[str, t.Any] = {name: value}
            elif to_python is int:
                result = {name: int(value)}
            else:
                result = {name: to_python(value)}
        else:
            result = {}
            for (name, to_python), value in zip(converters, values, strict=True):
                if to_python is None:
                    result[name] = value
                elif to_python is int:
                    result[name] = int(value)
                else:
                    result[name] = to_python(value)
    except ValidationError:
        return None
    except ValueError:
        # Only int() standing in for a plain <int:> converter is let through here: it refused
        # the digits (over 4,300 of them), which is not a match, as NumberConverter says. A
        # converter's own ValueError is a bug in it and propagates.
        if to_python is int:
            return None
        raise
    if rule.defaults:
        result.update(rule.defaults)
    return rule, result
