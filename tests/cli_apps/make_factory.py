from __future__ import annotations

from kolba import Kolba


def make_app() -> Kolba:
    return Kolba("made_by_make_app")
