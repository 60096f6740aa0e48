"""URL rules: one pattern such as ``/user/<int:id>``, compiled once when it is added.

Compiling turns the rule string into *parts* (one per path segment, or one for the
rest of the path once a converter can match slashes) that the matcher searches, and into
a *build template* that :meth:`Rule.build` fills without any regex work. The semantics
(priorities, weights, trailing-slash behaviour) follow ``werkzeug.routing.rules``.
"""

from __future__ import annotations

import ast
import re
import typing as t
from urllib.parse import quote

from kolba.http.urls import url_encode
from kolba.routing.converters import (
    BaseConverter,
    IntegerConverter,
    NumberConverter,
    ValidationError,
)

if t.TYPE_CHECKING:
    from kolba.routing.map import Map

__all__ = ["Rule", "RulePart", "parse_converter_args"]

_part_re = re.compile(
    r"""
    (?:
        (?P<slash>/)                                  # a slash
      |
        (?P<static>[^</]+)                            # static rule data
      |
        (?:
          <
            (?:
              (?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)   # converter name
              (?:\((?P<arguments>.*?)\))?             # converter arguments
              :                                       # variable delimiter
            )?
            (?P<variable>[a-zA-Z_][a-zA-Z0-9_]*)      # variable name
          >
        )
    )
    """,
    re.VERBOSE,
)

# Same set Werkzeug leaves unquoted in a rule's static text when building.
_PATH_SAFE = "!$&'()*+,/:;=@"
_GROUP_PREFIX = "__kolba_"
_MERGE_SLASHES_re = re.compile("/{2,}")

#: How a part sorts among its siblings: fewer/longer static pieces and lighter
#: converters first. ``(-n_static, static_weights, -n_args, arg_weights)``, compared
#: as Werkzeug's ``Weighting`` tuple.
Weight = tuple[int, tuple[tuple[int, int], ...], int, tuple[int, ...]]


class RulePart(t.NamedTuple):
    """One step of the matcher: a path segment, or the rest of the path if *final*.

    *content* is the literal text when *static*, otherwise a regex with one named
    group per converter; *names* are those groups' variable names in order.
    """

    content: str
    final: bool
    static: bool
    suffixed: bool
    weight: Weight
    names: tuple[str, ...]


def parse_converter_args(argstr: str) -> tuple[tuple[t.Any, ...], dict[str, t.Any]]:
    """Parse ``a, "b c", min=1`` from a rule into positional and keyword values.

    Each argument goes through :func:`ast.literal_eval` so rule strings can never run
    code; bare names (``any(about, help)``) are taken as strings as Werkzeug does.

    :param argstr: the text between the converter's parentheses.
    :raises ValueError: for anything that is not a literal or a bare name.
    """
    if not argstr.strip():
        return (), {}
    try:
        tree = ast.parse(f"_({argstr})", mode="eval").body
    except SyntaxError:
        raise ValueError(f"cannot parse converter arguments {argstr!r}") from None
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "_"):
        raise ValueError(f"cannot parse converter arguments {argstr!r}")

    def value(node: ast.expr) -> t.Any:
        if isinstance(node, ast.Name):
            return node.id
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(
                f"converter argument {ast.unparse(node)!r} in {argstr!r} is not a literal"
            ) from None

    args: list[t.Any] = []
    for node in tree.args:
        if isinstance(node, ast.Starred):
            raise ValueError(f"cannot parse converter arguments {argstr!r}")
        args.append(value(node))
    kwargs: dict[str, t.Any] = {}
    for keyword in tree.keywords:
        if keyword.arg is None:
            raise ValueError(f"cannot parse converter arguments {argstr!r}")
        kwargs[keyword.arg] = value(keyword.value)
    return tuple(args), kwargs


class Rule:
    """One URL pattern and what it maps to.

    Arguments are those of ``werkzeug.routing.Rule`` (keyword-only in spirit: pass
    everything but *string* by name).

    :param string: the rule, starting with ``/``; ``<converter(args):name>`` marks a
        variable. A rule ending in ``/`` is a branch: with strict slashes the URL
        without the slash redirects to it.
    :param defaults: values passed to the view when matched; with another rule of the
        same endpoint they make one URL canonical (the other redirects to it).
    :param subdomain: a subdomain rule (may hold variables); defaults to the map's.
    :param methods: the HTTP methods accepted; ``None`` accepts any. ``HEAD`` is added
        when ``GET`` is present.
    :param build_only: never match, only build (e.g. a URL served elsewhere).
    :param endpoint: what the match returns; used to build URLs.
    :param strict_slashes: override the map's trailing-slash policy for this rule.
    :param merge_slashes: override the map's repeated-slash policy for this rule.
    :param redirect_to: a rule-syntax string or ``callable(map, **values)`` giving a
        URL to redirect to when this rule matches.
    :param alias: this rule is another spelling of a canonical rule of the same
        endpoint; matching it redirects there.
    :param host: the host rule, used instead of *subdomain* with host matching.
    :param websocket: match only WebSocket requests.
    """

    def __init__(
        self,
        string: str,
        defaults: t.Mapping[str, t.Any] | None = None,
        subdomain: str | None = None,
        methods: t.Iterable[str] | None = None,
        build_only: bool = False,
        endpoint: t.Any | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        redirect_to: str | t.Callable[..., str] | None = None,
        alias: bool = False,
        host: str | None = None,
        websocket: bool = False,
    ) -> None:
        if not isinstance(string, str) or not string.startswith("/"):
            raise ValueError(f"URL rule {string!r} must start with a slash.")
        self.rule = string
        self.is_leaf = not string.endswith("/")
        self.is_branch = string.endswith("/")
        self.map: Map = None  # type: ignore[assignment]
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.subdomain = subdomain
        self.host = host
        self.defaults = defaults
        self.build_only = build_only
        self.alias = alias
        self.websocket = websocket
        method_set: set[str] | None = None
        if methods is not None:
            if isinstance(methods, str):
                raise TypeError("'methods' should be a list of strings.")
            method_set = {m.upper() for m in methods}
            if "GET" in method_set:
                method_set.add("HEAD")
            if websocket and method_set - {"GET", "HEAD", "OPTIONS"}:
                raise ValueError(
                    "WebSocket rules can only use 'GET', 'HEAD', and 'OPTIONS' methods."
                )
        self.methods = method_set
        self.endpoint: t.Any = endpoint
        self.redirect_to = redirect_to
        #: Set by the application: whether it answers OPTIONS for this rule itself.
        self.provide_automatic_options = False
        self.arguments: set[str] = set(map(str, defaults)) if defaults else set()
        self._converters: dict[str, BaseConverter] = {}
        self._trace: list[tuple[bool, str]] = []
        self._parts: list[RulePart] = []
        # (name, conversion function or None for the identity) in match order; see
        # _match_function.
        self._match_converters: tuple[tuple[str, t.Callable[[str], t.Any] | None], ...] = ()
        self._domain_ops: tuple[tuple[str, BaseConverter | None], ...] = ()
        self._path_ops: tuple[tuple[str, BaseConverter | None], ...] = ()
        self._shape: tuple[t.Any, ...] = ()
        self._has_domain = False
        self._required: tuple[str, ...] = ()
        # Filled in by the map: rules that are this rule's canonical spelling, and
        # whether a match must look at redirects at all.
        self._redirect_candidates: tuple[Rule, ...] = ()
        self._post = False

    # -- Werkzeug compatibility helpers ---------------------------------------------

    def empty(self) -> Rule:
        """Return an unbound copy, e.g. to add the same rule to another map."""
        return type(self)(self.rule, **self.get_empty_kwargs())

    def get_empty_kwargs(self) -> t.Mapping[str, t.Any]:
        """The keyword arguments :meth:`empty` passes; override in subclasses that
        take more."""
        return dict(
            defaults=dict(self.defaults) if self.defaults else None,
            subdomain=self.subdomain,
            methods=self.methods,
            build_only=self.build_only,
            endpoint=self.endpoint,
            strict_slashes=self.strict_slashes,
            redirect_to=self.redirect_to,
            alias=self.alias,
            host=self.host,
        )

    def get_rules(self, map: Map) -> t.Iterator[Rule]:
        """Let a rule stand where Werkzeug accepts a rule factory."""
        yield self

    # -- compiling -------------------------------------------------------------------

    def bind(self, map: Map, rebind: bool = False) -> None:
        """Attach the rule to *map*, take the map's defaults and compile.

        :param map: the map the rule is added to.
        :param rebind: allow binding a rule that already belongs to a map.
        """
        if self.map is not None and not rebind:
            raise RuntimeError(f"url rule {self!r} already bound to map {self.map!r}")
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        try:
            self.compile()
        except Exception:
            self.map = None  # type: ignore[assignment]
            raise

    def get_converter(
        self,
        variable_name: str,
        converter_name: str,
        args: tuple[t.Any, ...],
        kwargs: t.Mapping[str, t.Any],
    ) -> BaseConverter:
        """Instantiate the converter for one variable from the map's registry.

        :param variable_name: the variable, for the error message.
        :param converter_name: the name in the rule, e.g. ``int``.
        :param args: positional arguments from the rule.
        :param kwargs: keyword arguments from the rule.
        """
        cls = self.map.converters.get(converter_name)
        if cls is None:
            raise LookupError(
                f"the converter {converter_name!r} does not exist (URL rule {self.rule!r})"
            )
        try:
            return cls(self.map, *args, **kwargs)
        except (TypeError, ValueError) as e:
            raise ValueError(
                f"invalid arguments for converter {converter_name!r} of variable"
                f" {variable_name!r} in URL rule {self.rule!r}: {e}"
            ) from None

    def compile(self) -> None:
        """Turn the rule string (and subdomain or host) into matcher parts, a shape
        for conflict detection and a build template."""
        assert self.map is not None, "rule not bound"
        domain_rule = (self.host if self.map.host_matching else self.subdomain) or ""
        self._trace = []
        self._converters = {}
        self.arguments = set(map(str, self.defaults)) if self.defaults else set()
        shape: list[t.Any] = []
        if domain_rule:
            parts = list(self._parse(domain_rule, shape))
        else:
            parts = [RulePart("", False, True, False, (0, (), 0, ()), ())]
        self._has_domain = bool(domain_rule)
        n_domain_trace = len(self._trace)
        self._trace.append((False, "|"))
        shape.append("|")
        rule = self.rule
        if self.merge_slashes:
            rule = _MERGE_SLASHES_re.sub("/", rule)
        parts.extend(self._parse(rule, shape))
        self._parts = parts
        self._shape = (self.websocket, tuple(shape))

        # PERF: the matcher calls each variable's to_python: None for the base identity
        # (most variables, plain <name>), the int builtin itself for a plain <int:>, else the
        # converter's bound method.
        self._match_converters = tuple(
            (name, _match_function(conv)) for name, conv in self._converters.items()
        )
        self._domain_ops = self._build_ops(self._trace[:n_domain_trace])
        self._path_ops = self._build_ops(self._trace[n_domain_trace + 1 :])
        defaults = self.defaults or {}
        self._required = tuple(a for a in self._converters if a not in defaults)

    def _parse(self, rule: str, shape: list[t.Any]) -> t.Iterator[RulePart]:
        """Split *rule* into parts as Werkzeug's parser does (same weights), recording
        the trace, converters and the shape used for conflict detection."""
        content = ""
        static = True
        names: list[str] = []
        argument_weights: list[int] = []
        static_weights: list[tuple[int, int]] = []
        final = False
        pos = 0
        while pos < len(rule):
            match = _part_re.match(rule, pos)
            if match is None:
                raise ValueError(f"malformed URL rule {self.rule!r} near {rule[pos:]!r}")
            data = match.groupdict()
            if data["static"] is not None:
                text = data["static"]
                static_weights.append((len(static_weights), -len(text)))
                self._trace.append((False, text))
                shape.append(text)
                content += text if static else re.escape(text)
            if data["variable"] is not None:
                name = data["variable"]
                if name in self._converters:
                    raise ValueError(f"variable {name!r} used twice in URL rule {self.rule!r}")
                if static:
                    content = re.escape(content)
                static = False
                conv_name = data["converter"] or "default"
                args, kwargs = self._converter_args(data["arguments"] or "")
                conv = self.get_converter(name, conv_name, args, kwargs)
                self._converters[name] = conv
                self.arguments.add(name)
                if not conv.part_isolating:
                    final = True
                content += f"(?P<{_GROUP_PREFIX}{len(names)}>{conv.regex})"
                names.append(name)
                argument_weights.append(conv.weight)
                self._trace.append((True, name))
                shape.append((type(conv), repr(args), repr(sorted(kwargs.items()))))
            if data["slash"] is not None:
                self._trace.append((False, "/"))
                shape.append("/")
                if final:
                    content += "/"
                else:
                    if not static:
                        content += r"\Z"
                    yield RulePart(
                        content,
                        False,
                        static,
                        False,
                        _weight(static_weights, argument_weights),
                        tuple(names),
                    )
                    content = ""
                    static = True
                    names = []
                    argument_weights = []
                    static_weights = []
            pos = match.end()

        suffixed = False
        if final and content.endswith("/"):
            # A slash-matching converter followed by a trailing slash: capture the
            # slash separately so the matcher can still redirect `/x` to `/x/`.
            suffixed = True
            content = content[:-1] + "(?<!/)(/?)"
        if not static:
            content += r"\Z"
        weight = _weight(static_weights, argument_weights)
        yield RulePart(content, final, static, suffixed, weight, tuple(names))
        if suffixed:
            yield RulePart("", False, True, False, weight, ())

    def _converter_args(self, argstr: str) -> tuple[tuple[t.Any, ...], dict[str, t.Any]]:
        try:
            return parse_converter_args(argstr)
        except ValueError as e:
            raise ValueError(f"{e} (URL rule {self.rule!r})") from None

    def _build_ops(
        self, trace: list[tuple[bool, str]]
    ) -> tuple[tuple[str, BaseConverter | None], ...]:
        """Fold the trace into ``(text, None)`` constants and ``(name, converter)``
        slots, so building is a join with no parsing or regex."""
        defaults = self.defaults or {}
        ops: list[tuple[str, BaseConverter | None]] = []
        for is_dynamic, data in trace:
            if is_dynamic and data in defaults:
                # A default for a variable in the rule makes that slot a constant.
                text: str | None = self._converters[data].to_url(defaults[data])
            elif not is_dynamic:
                text = quote(data, safe=_PATH_SAFE)
            else:
                text = None
            if text is None:
                ops.append((data, self._converters[data]))
            elif ops and ops[-1][1] is None:
                ops[-1] = (ops[-1][0] + text, None)
            else:
                ops.append((text, None))
        return tuple(ops)

    # -- building --------------------------------------------------------------------

    def suitable_for(self, values: t.Mapping[str, t.Any], method: str | None = None) -> bool:
        """Whether *values* (and *method*) are enough to build this rule: every
        variable given or defaulted, and no value contradicting a default.

        :param values: the values given to ``url_for``.
        :param method: the method asked for, or ``None`` for any.
        """
        if method is not None and self.methods is not None and method not in self.methods:
            return False
        for key in self._required:
            if key not in values:
                return False
        if self.defaults:
            for key, value in self.defaults.items():
                if key in values and value != values[key]:
                    return False
        return True

    def build(
        self, values: t.Mapping[str, t.Any], append_unknown: bool = True
    ) -> tuple[str, str] | None:
        """Fill the template: ``(domain, path[?query])``, or ``None`` if a converter
        rejected a value with :class:`ValidationError`.

        :param values: the values to fill in; ones the rule does not use become the
            query string when *append_unknown*.
        :param append_unknown: put unused values in the query string.
        """
        try:
            domain = _fill(self._domain_ops, values) if self._domain_ops else ""
            path = _fill(self._path_ops, values)
        except ValidationError:
            return None
        # PERF: a C-level set difference finds the (usually absent) query values.
        if append_unknown and values.keys() - self.arguments:
            arguments = self.arguments
            extra = {k: v for k, v in values.items() if k not in arguments}
            if extra:
                m = self.map
                query = url_encode(extra, sort=m.sort_parameters, key=m.sort_key)
                if query:
                    path = f"{path}?{query}"
        return domain, path

    def provides_defaults_for(self, rule: Rule) -> bool:
        """Whether this rule is the canonical spelling of *rule* (same endpoint and
        arguments, with defaults), so a match on *rule* should redirect here.

        :param rule: the rule that matched.
        """
        return bool(
            not self.build_only
            and self.defaults
            and self.endpoint == rule.endpoint
            and self is not rule
            and self.arguments == rule.arguments
        )

    def build_compare_key(self) -> tuple[int, int, int]:
        """Sort key for building: non-aliases, then the most specific rules first."""
        return (1 if self.alias else 0, -len(self.arguments), -len(self.defaults or ()))

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        if self.map is None:
            return f"<{type(self).__name__} (unbound)>"
        text = "".join(f"<{data}>" if dyn else data for dyn, data in self._trace).lstrip("|")
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods is not None else ""
        return f"<{type(self).__name__} {text!r}{methods} -> {self.endpoint}>"


def _weight(static_weights: list[tuple[int, int]], argument_weights: list[int]) -> Weight:
    return (
        -len(static_weights),
        tuple(static_weights),
        -len(argument_weights),
        tuple(argument_weights),
    )


def _fill(ops: tuple[tuple[str, BaseConverter | None], ...], values: t.Mapping[str, t.Any]) -> str:
    return "".join([text if conv is None else conv.to_url(values[text]) for text, conv in ops])


def _match_function(conv: BaseConverter) -> t.Callable[[str], t.Any] | None:
    """What the matcher calls to convert one matched value (see ``Rule._match_converters``)."""
    to_python = type(conv).to_python
    if to_python is BaseConverter.to_python:
        return None
    if (
        type(conv) is IntegerConverter
        and to_python is NumberConverter.to_python
        and conv.num_convert is int
        and not conv.fixed_digits
        and conv.min is None
        and conv.max is None
    ):
        # PERF: what NumberConverter.to_python does for these settings, without its frame;
        # the matcher turns int's ValueError into a non-match as to_python would.
        return int
    return conv.to_python
