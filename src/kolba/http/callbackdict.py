"""Dicts that report every change, so their owner knows when to save them.

Sessions build on these: a session cookie is only written when its dict changed.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable, Mapping

from kolba.http.immutable import _missing

if t.TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["CallbackDict", "UpdateDictMixin"]

K = t.TypeVar("K")
V = t.TypeVar("V")


class UpdateDictMixin(dict[K, V]):
    """A dict that calls :attr:`on_update` after every change.

    Sessions build on this to know whether they must be saved.
    """

    on_update: Callable[[t.Any], None] | None = None

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._changed()

    def setdefault(self, key: K, default: V = None) -> V:  # type: ignore[assignment]
        """Like :meth:`dict.setdefault`; only an actual insertion counts as a change.

        :param key: the key.
        :param default: the value to insert when the key is missing.
        """
        modified = key not in self
        value = super().setdefault(key, default)
        if modified:
            self._changed()
        return value

    def pop(self, key: K, default: t.Any = _missing) -> t.Any:
        """Like :meth:`dict.pop`; only an actual removal counts as a change.

        :param key: the key.
        :param default: returned if the key is missing.
        """
        modified = key in self
        if default is _missing:
            value = super().pop(key)
        else:
            value = super().pop(key, default)
        if modified:
            self._changed()
        return value

    def popitem(self) -> tuple[K, V]:
        item = super().popitem()
        self._changed()
        return item

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def __ior__(self, other: t.Any) -> Self:  # type: ignore[override,misc]
        super().update(other)
        self._changed()
        return self


class CallbackDict(UpdateDictMixin[K, V]):
    """A dict that calls a function with itself after every change.

    :param initial: the starting contents; setting them is not reported.
    :param on_update: called with the dict after each change.
    """

    def __init__(
        self,
        initial: Mapping[K, V] | Iterable[tuple[K, V]] | None = None,
        on_update: Callable[[t.Any], None] | None = None,
    ) -> None:
        if initial is None:
            super().__init__()
        else:
            super().__init__(initial)
        self.on_update = on_update

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
