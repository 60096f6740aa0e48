"""Password hashing and API tokens.

scrypt from the standard library: memory-hard, so guessing passwords on a GPU is expensive,
and no extra dependency is needed.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import secrets

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
# Above the 16 MiB that n=2**14, r=8 needs, and a ceiling against hashes with huge parameters.
_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """Hash ``password`` with a fresh random salt, as ``scrypt$n$r$p$salt_b64$hash_b64``."""
    salt = os.urandom(SALT_BYTES)
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=_MAXMEM,
        dklen=HASH_BYTES,
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored``; a malformed stored value never matches.

    The comparison is constant-time so the response time does not tell how much matched.
    """
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(hash_b64, validate=True)
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(digest, expected)


@functools.cache
def dummy_hash() -> str:
    """A hash checked when the username is unknown, so a failed login costs the same time
    whether or not the account exists (no user enumeration by timing). Made on first use:
    importing the app stays fast."""
    return hash_password("not a real password")


def new_api_token() -> str:
    """A random bearer token: 32 bytes, URL-safe text."""
    return secrets.token_urlsafe(32)
