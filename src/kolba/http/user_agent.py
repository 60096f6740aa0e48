"""The ``User-Agent`` header, kept as the plain string Werkzeug 3 gives."""

from __future__ import annotations

from typing import ClassVar

__all__ = ["UserAgent"]


class UserAgent:
    """The ``User-Agent`` string. Like Werkzeug 3, no parsing is done: ``platform``,
    ``browser``, ``version`` and ``language`` are ``None`` unless a subclass fills them.

    :param string: The header value.
    """

    __slots__ = ("string",)

    platform: ClassVar[str | None] = None
    browser: ClassVar[str | None] = None
    version: ClassVar[str | None] = None
    language: ClassVar[str | None] = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        # Werkzeug 3 ties truth to a parsed browser, so the base class is always falsy.
        return bool(self.browser)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.browser}/{self.version}>"
