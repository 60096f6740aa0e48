"""Every place where Kolba deliberately answers differently from Flask, with the reason.

This is the single list the acceptance suite consults and ``docs/differences.md`` documents.
A case listed here is still sent to both frameworks; only the named parts of the answer are
left out of the comparison, so the rest of the response must still match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Difference:
    """Why a case differs and which parts of the answer to leave uncompared.

    :param reason: one sentence for ``docs/differences.md``.
    :param headers: lower-case header names whose values are not compared.
    :param body: leave the body bytes uncompared.
    :param status_line: leave the WSGI reason phrase uncompared (the code still is).
    """

    reason: str
    headers: frozenset[str] = frozenset()
    body: bool = False
    status_line: bool = False


#: Keyed by ``"<app module>::<case id>"``. Empty means Kolba promises byte-for-byte Flask
#: behaviour on every case in the tables; add an entry only with the lead's agreement.
DIFFERENCES: Mapping[str, Difference] = {
    "routing_app::shortcut-delete": Difference(
        reason=(
            "A 204 response carries no Content-Type: Flask sends 'text/html; charset=utf-8',"
            " which wsgiref.validate rejects as content headers on a response without content."
        ),
        headers=frozenset({"content-type"}),
    ),
}


@dataclass(frozen=True)
class Breach:
    """A case where Flask's own WSGI answer fails :mod:`wsgiref.validate`.

    :param match: a regex the validator's ``AssertionError`` message must match.
    """

    match: str


#: Cases where Flask fails the PEP 3333 validator and Kolba must not; the WSGI check proves
#: Flask still fails (so an entry cannot outlive the breach) and validates Kolba as usual.
FLASK_WSGI_BREACHES: Mapping[str, Breach] = {
    "routing_app::shortcut-delete": Breach(match="Content-Type header found in a 204 response"),
}
