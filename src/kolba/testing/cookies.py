"""The cookie the test client's jar holds, parsed from ``Set-Cookie`` as a browser would."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from time import time

from kolba.http.cookies import parse_cookie
from kolba.http.dates import parse_date
from kolba.testing.environ import _unwsgi_str

__all__ = ["Cookie"]


@dataclasses.dataclass
class Cookie:
    """A cookie as the test client's jar holds it, for inspection via ``get_cookie``.

    ``key``/``value`` are as sent on the wire; ``decoded_*`` are what the app set and reads.
    """

    key: str
    value: str
    decoded_key: str
    decoded_value: str
    expires: datetime | None
    max_age: int | None
    domain: str
    origin_only: bool
    path: str
    secure: bool | None
    http_only: bool | None
    same_site: str | None
    partitioned: bool = False
    #: POSIX time after which the cookie is no longer sent; from Max-Age, else Expires.
    expiry: float | None = dataclasses.field(default=None, repr=False, compare=False)

    def _matches_request(self, server_name: str, path: str) -> bool:
        domain_ok = server_name == self.domain or (
            not self.origin_only
            and server_name.endswith(self.domain)
            and server_name[: -len(self.domain)].endswith(".")
        )
        path_ok = path == self.path or (
            path.startswith(self.path)
            and path[len(self.path) - self.path.endswith("/") :].startswith("/")
        )
        return domain_ok and path_ok

    def _is_expired(self, now: float) -> bool:
        return self.expiry is not None and self.expiry <= now

    def _to_request_header(self) -> str:
        return f"{self.key}={self.value}"

    @classmethod
    def _from_response_header(cls, server_name: str, path: str, header: str) -> Cookie:
        pair, _, params_str = header.partition(";")
        key, _, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        parsed = parse_cookie(pair)
        decoded_key, decoded_value = next(iter(parsed.items()), (_unwsgi_str(key), value))
        params: dict[str, str | None] = {}
        for item in params_str.split(";"):
            k, sep, v = item.partition("=")
            params[k.strip().lower()] = v.strip() if sep else None
        max_age: int | None = None
        if "max-age" in params:
            try:
                max_age = int(params["max-age"] or 0)
            except ValueError:
                max_age = None
        expires = parse_date(params.get("expires"))
        if max_age is not None:
            expiry: float | None = time() + max_age
        elif expires is not None:
            expiry = expires.timestamp()
        else:
            expiry = None
        domain = (params.get("domain") or "").lstrip(".").lower() or server_name
        return cls(
            key=key,
            value=value,
            decoded_key=decoded_key,
            decoded_value=decoded_value,
            expires=expires,
            max_age=max_age,
            domain=domain,
            origin_only="domain" not in params,
            path=params.get("path") or path.rpartition("/")[0] or "/",
            secure="secure" in params,
            http_only="httponly" in params,
            same_site=params.get("samesite"),
            partitioned="partitioned" in params,
            expiry=expiry,
        )

    @property
    def _storage_key(self) -> tuple[str, str, str]:
        return self.domain, self.path, self.decoded_key

    @property
    def _should_delete(self) -> bool:
        """Max-Age=0 or an Expires in the past is how servers delete cookies."""
        return (self.max_age is not None and self.max_age <= 0) or (
            self.expiry is not None and self.expiry <= time()
        )
