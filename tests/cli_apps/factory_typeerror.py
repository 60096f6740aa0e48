from __future__ import annotations

from kolba import Kolba


def create_app() -> Kolba:
    # A bug inside the factory: must show as itself, not as "could not call it".
    return Kolba(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)  # type: ignore[arg-type,call-arg]
