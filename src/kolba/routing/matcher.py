"""The matcher: a segment trie, compiled to Python functions.

Each trie state has a dict of static transitions and a short list of dynamic
transitions sorted by weight. Matching is a depth-first search over the path's
segments, trying static before dynamic at every level and backtracking on failure,
which reproduces Werkzeug's ``StateMachineMatcher`` priorities.

PERF: the search is not interpreted. The first match that reaches a state compiles the
state's part of the trie to the source of one Python function (see :mod:`kolba.routing.
compiler`), as Falcon does for its router: a segment compare is an ``==`` or a dict
lookup, the common converters are inline tests, and the values dict is a literal.
Adding a rule throws the compiled functions away.
"""

from __future__ import annotations

import re
import typing as t

from kolba.routing.converters import ValidationError

if t.TYPE_CHECKING:
    from kolba.routing.rules import Rule, RulePart, Weight

__all__ = ["Matcher", "SlashRequired", "State"]

Result = tuple["Rule", dict[str, t.Any]]
#: A compiled state: ``(parts, index, n, method, websocket, misses, *values) -> Result | None``.
StateFunction = t.Callable[..., "Result | None"]


class SlashRequired(Exception):
    """The path matches a rule only with a trailing slash added (internal)."""


class Transition:
    """A dynamic edge: the part's regex, compiled, and the state it leads to."""

    __slots__ = ("content", "final", "key", "names", "pattern", "state", "suffixed", "weight")

    def __init__(self, part: RulePart, state: State) -> None:
        self.content = part.content
        self.final = part.final
        self.suffixed = part.suffixed
        self.weight: Weight = part.weight
        self.names = part.names
        self.key = (part.content, part.final, part.suffixed, part.weight)
        self.pattern = re.compile(part.content)
        self.state = state


class State:
    """A trie node: rules ending here, static and dynamic ways onwards, and the compiled
    function that matches from here (``None`` until a match first reaches it)."""

    __slots__ = ("dynamic", "fn", "rules", "static")

    def __init__(self) -> None:
        self.dynamic: list[Transition] = []
        self.rules: list[Rule] = []
        self.static: dict[str, State] = {}
        self.fn: StateFunction | None = None


class Matcher:
    """Holds the trie and matches paths against it.

    :param merge_slashes: retry a failed match with repeated slashes merged.
    """

    def __init__(self, merge_slashes: bool) -> None:
        self.root = State()
        self.merge_slashes = merge_slashes
        # Every state holding a compiled function, so that add() can drop them all.
        self._compiled: list[State] = []

    def add(self, rule: Rule) -> State:
        """Insert *rule*'s parts and return the state it ends at."""
        self.reset()
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
                transition = Transition(part, State())
                state.dynamic.append(transition)
                # Stable sort: equal weights keep insertion order, as Werkzeug's.
                state.dynamic.sort(key=lambda tr: tr.weight)
                state = transition.state
        state.rules.append(rule)
        return state

    def reset(self) -> None:
        """Forget every compiled function; the next matches compile the trie afresh."""
        for state in self._compiled:
            state.fn = None
        self._compiled.clear()

    def compile(self, state: State, nvalues: int) -> StateFunction:
        """Compile the function that matches from *state*, reached with *nvalues*
        values, and keep it on the state."""
        from kolba.routing.compiler import compile_state

        fn = compile_state(state, nvalues, self.compile)
        state.fn = fn
        self._compiled.append(state)
        return fn

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
        parts = path.split("/")
        n = len(parts)
        state = root.static.get(domain)
        if state is not None:
            rv = (state.fn or self.compile(state, 0))(parts, 0, n, method, websocket, misses)
            if rv is not None:
                return rv
        for transition in root.dynamic:
            m = transition.pattern.match(domain)
            if m is None:
                continue
            values = [m.group(f"__kolba_{i}") for i in range(len(transition.names))]
            state = transition.state
            fn = state.fn or self.compile(state, len(values))
            rv = fn(parts, 0, n, method, websocket, misses, *values)
            if rv is not None:
                return rv
        return None


def accept(
    rule: Rule, values: tuple[str, ...], method: str, websocket: bool, misses: list[t.Any]
) -> Result | None:
    """Return the match if *rule* takes this method and its converters accept the
    values; otherwise record why not, for the 405/400 decision."""
    if rule.methods is not None and method not in rule.methods:
        # A converter rejecting the value means the URL is not this rule's at all,
        # so its methods must not turn a 404 into a 405.
        if convert(rule, values) is not None:
            misses.append(rule.methods)
        return None
    if rule.websocket != websocket:
        misses.append(None)
        return None
    return convert(rule, values)


def convert(rule: Rule, values: tuple[str, ...]) -> Result | None:
    """Convert the matched text of *rule*'s variables; ``None`` if a converter refuses."""
    result: dict[str, t.Any] = {}
    to_python: t.Callable[[str], t.Any] | None = None
    try:
        for (name, to_python), value in zip(rule._match_converters, values, strict=True):
            result[name] = value if to_python is None else to_python(value)
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
