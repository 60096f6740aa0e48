"""Compile a matcher state to Python source, as Falcon compiles its router.

:func:`compile_state` writes one function per trie state that a match reaches. The
function is the depth-first search of Werkzeug's ``StateMachineMatcher`` unrolled for
that part of the trie, over the path split on ``/``: each level takes its segment from
the list, tries the static ways on (an ``if``/``elif`` chain, or a dict lookup when there
are many), then the dynamic ones in weight order, and falls through to the next
alternative on failure, which is the backtracking. Variables are local names, not a
growing tuple; the values dict of a match is a literal.

For ``/users/<int:id>`` alone the generated function reads::

    def match_state(parts, i0, n, method, websocket, misses):
        if i0 < n:
            s0 = parts[i0]
            if s0 == '':
                i1 = i0 + 1
                if i1 < n:
                    s1 = parts[i1]
                    if s1 == 'users':
                        i2 = i1 + 1
                        if i2 < n:
                            s2 = parts[i2]
                            if s2.isdecimal():
                                i3 = i2 + 1
                                if i3 >= n:
                                    if method in M0 and not websocket:
                                        try:
                                            return R1, {'id': int(s2)}
                                        except ValueError:
                                            pass
                                    else:
                                        accept(R1, (s2,), method, websocket, misses)
        return None

A state with more than :data:`FANOUT` static ways on looks the segment up in a dict of
states instead, and a state :data:`DEPTH` levels down is left to a function of its own:
so one function stays small however many rules share a prefix, and a lookup costs the
same with 20 routes or 2,000. Those states are compiled on first use, so an application
with thousands of rules compiles only the branches its requests visit.
"""

from __future__ import annotations

import typing as t

from kolba.routing.matcher import (
    SlashRequired,
    State,
    StateFunction,
    Transition,
    accept,
    convert,
)

if t.TYPE_CHECKING:
    from kolba.routing.rules import Rule

__all__ = ["DEPTH", "FANOUT", "compile_state"]

#: Above this many static ways on from one state, the segment is looked up in a dict.
FANOUT = 8
#: Levels of the trie written into one function before the next level gets its own.
DEPTH = 10

# The part regexes that the generated code tests without ``re`` (see Rule._parse):
# the default converter alone in a segment takes any non-empty segment, and a plain
# <int:> takes one of decimal digits, which is what ``\d+`` matches in a str pattern.
_ANY_SEGMENT = {r"(?P<__kolba_0>[^/]+)\Z", r"(?P<__kolba_0>[^/]{1,})\Z"}
_DIGITS = r"(?P<__kolba_0>\d+)\Z"


def compile_state(
    state: State, nvalues: int, compile_child: t.Callable[[State, int], StateFunction]
) -> StateFunction:
    """Return the function that matches from *state*.

    :param state: where the match stands.
    :param nvalues: how many variable values the match carries when it gets there.
    :param compile_child: compiles (and keeps) the function of a state this one hands
        over to, the first time it does.
    :returns: ``fn(parts, index, n, method, websocket, misses, *values)``, which returns the
        rule and its values dict, or ``None`` with the methods of rules that wanted
        another method appended to *misses*; it raises :class:`SlashRequired`.
    """
    writer = _Writer(compile_child)
    values = [f"v{i}" for i in range(nvalues)]
    params = ", ".join(["parts", "i0", "n", "method", "websocket", "misses", *values])
    writer.line(0, f"def match_state({params}):")
    writer.state(state, 0, "i0", values, 1)
    writer.line(1, "return None")
    source = "\n".join(writer.lines) + "\n"
    namespace = writer.namespace
    exec(compile(source, "<kolba routing>", "exec"), namespace)
    fn: StateFunction = namespace["match_state"]
    fn.__kolba_source__ = source  # type: ignore[attr-defined]  # for debugging
    return fn


class _Writer:
    """Accumulates the source of one function and the objects it refers to."""

    def __init__(self, compile_child: t.Callable[[State, int], StateFunction]) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, t.Any] = {
            "accept": accept,
            "convert": convert,
            "SlashRequired": SlashRequired,
            "compile_child": compile_child,
        }
        self._names: dict[int, str] = {}

    def line(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def name(self, obj: object, prefix: str) -> str:
        """The global name the generated code reaches *obj* by."""
        key = id(obj)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"{prefix}{len(self._names)}"
            self.namespace[name] = obj
        return name

    # -- one state -------------------------------------------------------------------

    def state(self, state: State, depth: int, index: str, values: list[str], indent: int) -> None:
        """Write the search from *state*, with the next segment at ``parts[index]``.

        ``index >= n`` means the path is used up. Code written here returns a match or
        falls through.
        """
        slash = state.static.get("")
        ends_here = bool(state.rules) or (slash is not None and bool(slash.rules))
        # Rules that do not insist on their exact slash form also match with a trailing slash.
        lenient = [rule for rule in state.rules if not rule.strict_slashes]
        if ends_here:
            self.line(indent, f"if {index} >= n:")
            for rule in state.rules:
                self.accept(rule, values, indent + 1)
            if slash is not None:
                for rule in slash.rules:
                    # The path lacks the trailing slash this rule has.
                    self.line(indent + 1, f"if {self.fits(rule)}:")
                    if rule.strict_slashes:
                        self.line(indent + 2, "raise SlashRequired()")
                    else:
                        self.convert(rule, values, indent + 2)
            if not state.static and not state.dynamic and not lenient:
                return
            self.line(indent, "else:")
        else:
            self.line(indent, f"if {index} < n:")
        indent += 1
        segment = f"s{depth}"
        self.line(indent, f"{segment} = parts[{index}]")
        self.static(state, depth, index, segment, values, indent)
        for transition in state.dynamic:
            self.dynamic(transition, depth, index, segment, values, indent)
        if lenient:
            # Only a trailing slash is left: the lenient rules match here.
            self.line(indent, f"if not {segment} and {index} == n - 1:")
            for rule in lenient:
                self.accept(rule, values, indent + 1)

    def static(
        self, state: State, depth: int, index: str, segment: str, values: list[str], indent: int
    ) -> None:
        if not state.static:
            return
        if len(state.static) > FANOUT:
            # PERF: a dict lookup whatever the number of ways on; the state found has a
            # function of its own.
            table = self.name(dict(state.static), "T")
            self.line(indent, f"c = {table}.get({segment})")
            self.line(indent, "if c is not None:")
            self.call("c", f"{index} + 1", values, indent + 1)
            return
        keyword = "if"
        for text, child in state.static.items():
            self.line(indent, f"{keyword} {segment} == {text!r}:")
            self.child(child, depth, f"{index} + 1", values, indent + 1)
            keyword = "elif"

    def dynamic(
        self,
        transition: Transition,
        depth: int,
        index: str,
        segment: str,
        values: list[str],
        indent: int,
    ) -> None:
        content = transition.content
        if not transition.final and content in _ANY_SEGMENT:
            self.line(indent, f"if {segment}:")
            self.child(transition.state, depth, f"{index} + 1", [*values, segment], indent + 1)
            return
        if not transition.final and content == _DIGITS:
            self.line(indent, f"if {segment}.isdecimal():")
            self.child(transition.state, depth, f"{index} + 1", [*values, segment], indent + 1)
            return
        pattern = self.name(transition.pattern, "P")
        # A slash-matching variable takes the rest of the path.
        target = f'"/".join(parts[{index}:])' if transition.final else segment
        self.line(indent, f"m = {pattern}.match({target})")
        self.line(indent, "if m is not None:")
        indent += 1
        found = [f"g{depth}_{i}" for i in range(len(transition.names))]
        for i, var in enumerate(found):
            self.line(indent, f'{var} = m.group("__kolba_{i}")')
        after = "n" if transition.final else f"{index} + 1"
        if transition.suffixed:
            # The rule ends in a slash after a slash-matching variable: when the path ends
            # in one, the empty last segment is left, as a trailing slash would be.
            self.line(indent, f'q{depth} = n - 1 if m.groups()[-1] == "/" else n')
            after = f"q{depth}"
        self.child(transition.state, depth, after, [*values, *found], indent)

    def child(self, state: State, depth: int, index: str, values: list[str], indent: int) -> None:
        """Go on to *state* at segment *index*: inline, or through its own function."""
        if depth + 1 >= DEPTH:
            self.call(self.name(state, "S"), index, values, indent)
            return
        var = f"i{depth + 1}"
        self.line(indent, f"{var} = {index}")
        self.state(state, depth + 1, var, values, indent)

    def call(self, state: str, index: str, values: list[str], indent: int) -> None:
        args = ", ".join(["parts", index, "n", "method", "websocket", "misses", *values])
        self.line(indent, f"rv = ({state}.fn or compile_child({state}, {len(values)}))({args})")
        self.line(indent, "if rv is not None:")
        self.line(indent + 1, "return rv")

    # -- one rule --------------------------------------------------------------------

    def fits(self, rule: Rule) -> str:
        """The test that *rule* takes the request's method and kind."""
        kind = "websocket" if rule.websocket else "not websocket"
        if rule.methods is None:
            return kind
        return f"method in {self.name(rule.methods, 'M')} and {kind}"

    def accept(self, rule: Rule, values: list[str], indent: int) -> None:
        """Return *rule*'s match if it takes the method; else note the miss for 405."""
        self.line(indent, f"if {self.fits(rule)}:")
        self.convert(rule, values, indent + 1)
        self.line(indent, "else:")
        rule_name = self.name(rule, "R")
        self.line(indent + 1, f"accept({rule_name}, {_tuple(values)}, method, websocket, misses)")

    def convert(self, rule: Rule, values: list[str], indent: int) -> None:
        """Return *rule* with its converted values, or fall through if a converter refuses."""
        rule_name = self.name(rule, "R")
        converters = rule._match_converters
        if any(fn is not None and fn is not int for _, fn in converters):
            self.line(indent, f"rv = convert({rule_name}, {_tuple(values)})")
            self.line(indent, "if rv is not None:")
            self.line(indent + 1, "return rv")
            return
        # PERF: the common converters inline, into a dict literal.
        items = [
            f"{name!r}: {value}" if fn is None else f"{name!r}: int({value})"
            for (name, fn), value in zip(converters, values, strict=True)
        ]
        if rule.defaults:
            items.append(f"**{self.name(rule.defaults, 'D')}")
        result = f"return {rule_name}, {{{', '.join(items)}}}"
        if not any(fn is int for _, fn in converters):
            self.line(indent, result)
            return
        # int() refuses over 4,300 digits: not a match, as NumberConverter says.
        self.line(indent, "try:")
        self.line(indent + 1, result)
        self.line(indent, "except ValueError:")
        self.line(indent + 1, "pass")


def _tuple(values: list[str]) -> str:
    return f"({', '.join(values)},)" if values else "()"
