"""Hook chains: the before/after/teardown functions that apply to a request, prepared once.

Flask walks its hook registries on every request (app first, then each blueprint, in both
directions). Kolba flattens them, per set of blueprints a rule belongs to, the first time a
request needs them; a setup call after that is refused, so the chains never go stale.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:  # pragma: no cover
    from .app import Kolba
    from .routing import Rule


def rule_blueprints(rule: Rule | None) -> tuple[str, ...]:
    """The blueprint names a rule's endpoint belongs to, innermost first (cached on the rule)."""
    if rule is None:
        return ()
    try:
        return rule._kolba_blueprints  # type: ignore[attr-defined,no-any-return]
    except AttributeError:
        endpoint = rule.endpoint
        bps = (
            tuple(split_blueprint_path(endpoint.rpartition(".")[0]))
            if isinstance(endpoint, str) and "." in endpoint
            else ()
        )
        rule._kolba_blueprints = bps  # type: ignore[attr-defined]
        return bps


def split_blueprint_path(name: str) -> list[str]:
    out = [name]
    while "." in name:
        name = name.rpartition(".")[0]
        out.append(name)
    return out


class HookChains:
    """The hook functions that apply to one set of blueprints, flattened in call order."""

    __slots__ = ("url_value_preprocessors", "before", "after", "teardown", "blueprints")

    def __init__(self, app: Kolba, blueprints: tuple[str, ...]) -> None:
        self.blueprints = blueprints
        down = (None, *reversed(blueprints))  # app first, then outer to inner blueprint
        up = (*blueprints, None)  # inner blueprint first, app last
        sync = app.ensure_sync
        self.url_value_preprocessors = [
            f for name in down for f in app.url_value_preprocessors.get(name, ())
        ]
        self.before = [sync(f) for name in down for f in app.before_request_funcs.get(name, ())]
        self.after = [
            sync(f) for name in up for f in reversed(app.after_request_funcs.get(name, ()))
        ]
        self.teardown = [
            sync(f) for name in up for f in reversed(app.teardown_request_funcs.get(name, ()))
        ]
