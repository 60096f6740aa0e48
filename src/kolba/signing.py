"""Signing for session cookies: itsdangerous, with derived keys reused across requests.

Imported when a session is first signed or read, so apps without sessions never import
itsdangerous and hashlib.
"""

from __future__ import annotations

import typing as t

from itsdangerous import TimestampSigner

# Derived signing keys, by (secret, salt, derivation, digest): deriving one is an HMAC per
# sign or verify, and the inputs only change when the secret does.
_derived_keys: dict[tuple[bytes, bytes, str, t.Any], bytes] = {}


class CachingTimestampSigner(TimestampSigner):
    """A TimestampSigner that derives each key once instead of on every sign and verify.

    PERF: itsdangerous builds a new signer per dumps/loads and derives the key each time;
    for a session cookie that was a third of the cost of reading or writing it.
    """

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else secret_key
        if isinstance(secret, str):
            secret = secret.encode()
        cache_key = (secret, self.salt, self.key_derivation, self.digest_method)
        key = _derived_keys.get(cache_key)
        if key is None:
            key = super().derive_key(secret)
            if len(_derived_keys) > 64:
                _derived_keys.clear()
            _derived_keys[cache_key] = key
        return key
