from __future__ import annotations

from kolba import Kolba

not_an_app = 42


def create_app() -> Kolba:
    return Kolba("factory_default")


def create_app_with(foo: str, bar: int = 0, *, baz: bool = False) -> Kolba:
    return Kolba(f"factory_{foo}_{bar}_{baz}")


def not_a_factory() -> str:
    return "just a string"


def raises_type_error() -> Kolba:
    # A bug inside the factory: must show as itself, not as "could not be called".
    return len(5)  # type: ignore[arg-type,return-value]
