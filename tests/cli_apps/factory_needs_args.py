from __future__ import annotations

from kolba import Kolba


def create_app(config_name: str) -> Kolba:
    return Kolba(f"needs_{config_name}")
