"""The ``Authorization`` and ``WWW-Authenticate`` headers, as ``werkzeug.datastructures`` has them.

``request.authorization`` and ``response.www_authenticate`` are these; Basic credentials are
decoded here so applications never handle base64 themselves.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from .header_values import _UpdateDict, dump_header, parse_dict_header, quote_header_value

__all__ = ["Authorization", "WWWAuthenticate"]


class Authorization:
    """The parts of an ``Authorization`` request header.

    Depending on the scheme, either :attr:`parameters` or :attr:`token` is set; Basic
    credentials are decoded into the ``username`` and ``password`` parameters. Parameters are
    also readable as attributes (``auth.realm``), ``None`` when absent.

    :param auth_type: The scheme, lower-cased by :meth:`from_header`.
    :param data: Parameters for schemes like Digest.
    :param token: The token for schemes like Bearer.
    """

    __slots__ = ("type", "parameters", "token")

    def __init__(
        self, auth_type: str, data: dict[str, str | None] | None = None, token: str | None = None
    ) -> None:
        self.type = auth_type
        self.parameters: dict[str, str | None] = {} if data is None else data
        self.token = token

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.parameters.get(name)

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.parameters.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse an ``Authorization`` header.

        :param value: The header value.
        :return: ``None`` when the header is empty or Basic credentials are badly padded or
            not ASCII (where Werkzeug raises); junk characters are ignored, as in Werkzeug.
        """
        if not value:
            return None
        scheme, _, rest = value.partition(" ")
        scheme = scheme.lower()
        rest = rest.strip()
        if scheme == "basic":
            try:
                # Like Werkzeug: characters outside base64 are dropped (so junk reads as empty
                # credentials) and bad padding means no credentials.
                raw = base64.b64decode(rest.encode("ascii"))
            except ValueError:  # binascii.Error and non-ASCII text alike
                return None
            try:
                text = raw.decode()
            except UnicodeDecodeError:
                # Older clients send Latin-1, which can decode any byte.
                text = raw.decode("latin-1")
            username, _, password = text.partition(":")
            return cls(scheme, {"username": username, "password": password})
        if "=" in rest.rstrip("="):
            # An '=' that is not base64 padding means parameters.
            return cls(scheme, parse_dict_header(rest), None)
        return cls(scheme, None, rest)

    def to_header(self) -> str:
        """Produce the header value, for test clients sending credentials."""
        if self.type == "basic":
            raw = f"{self.parameters.get('username')}:{self.parameters.get('password')}"
            return "Basic " + base64.b64encode(raw.encode()).decode("ascii")
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        return f"{self.type.title()} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


class WWWAuthenticate:
    """The parts of a ``WWW-Authenticate`` response header; changes call :attr:`_on_update` so
    the owning response can rewrite its header.

    :param auth_type: The scheme, stored lower-cased.
    :param values: Parameters such as ``realm``.
    :param token: A token for token schemes.
    """

    __slots__ = ("_type", "_parameters", "_token", "_on_update")
    _OWN: ClassVar[frozenset[str]] = frozenset(__slots__)
    _type: str
    _parameters: _UpdateDict
    _token: str | None
    _on_update: Callable[[WWWAuthenticate], None] | None

    def __init__(
        self,
        auth_type: str,
        values: Mapping[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        object.__setattr__(self, "_on_update", None)
        object.__setattr__(self, "_type", auth_type.lower())
        object.__setattr__(self, "_parameters", _UpdateDict(values, self._notify))
        object.__setattr__(self, "_token", token)

    def _notify(self, _: object = None) -> None:
        if self._on_update is not None:
            self._on_update(self)

    @property
    def type(self) -> str:
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        object.__setattr__(self, "_type", value)
        self._notify()

    @property
    def parameters(self) -> dict[str, str | None]:
        return self._parameters

    @parameters.setter
    def parameters(self, value: Mapping[str, str | None]) -> None:
        object.__setattr__(self, "_parameters", _UpdateDict(value, self._notify))
        self._notify()

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        object.__setattr__(self, "_token", value)
        self._notify()

    def __getitem__(self, key: str) -> str | None:
        return self._parameters.get(key)

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            self._parameters.pop(key, None)
        else:
            self._parameters[key] = value

    def __delitem__(self, key: str) -> None:
        self._parameters.pop(key, None)

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._parameters.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._OWN or isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._parameters.get(key, default)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> WWWAuthenticate | None:
        """Parse a ``WWW-Authenticate`` header, or ``None`` when empty."""
        if not value:
            return None
        scheme, _, rest = value.partition(" ")
        rest = rest.strip()
        if "=" in rest.rstrip("="):
            return cls(scheme, parse_dict_header(rest), None)
        return cls(scheme, None, rest)

    def to_header(self) -> str:
        """Produce the header value; Digest's string fields are always quoted, as clients
        expect."""
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        if not self.parameters:
            return self.type.title()
        if self.type == "digest":
            items = []
            for key, value in self.parameters.items():
                force = key in {"realm", "domain", "nonce", "opaque", "qop"}
                items.append(f"{key}={quote_header_value(value, allow_token=not force)}")
            return f"Digest {', '.join(items)}"
        return f"{self.type.title()} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"
