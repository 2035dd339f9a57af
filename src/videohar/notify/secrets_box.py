"""Secrets at rest (LINE channel tokens, webhook secrets, SMTP passwords).

The database only ever holds ciphertext: AES-256-GCM under a key derived from
`SECRET_KEY` with HKDF-SHA256, so a leaked database dump alone reveals nothing. Each
value may be bound to where it is stored (`aad`, e.g. ``"line_target:7:token"``) so a
ciphertext copied into another row or column fails to decrypt. Old keys can be given
for rotation: decryption tries them after the current one.

>>> box = SecretBox("my secret key")
>>> token = box.encrypt("line-token", aad="line_target:1")
>>> box.decrypt(token, aad="line_target:1")
'line-token'
>>> mask("abcdefghijklmnopqrstuvwxyz")
'••••wxyz'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["MASK", "MASK_HINT_MIN_LEN", "InvalidSecret", "SecretBox", "mask"]

_PREFIX = "v1."
_HKDF_INFO = b"videohar/notify/secrets-at-rest/v1"
_HKDF_SALT = b"videohar-secrets-box"
_NONCE_LEN = 12
_KEY_ID_LEN = 4

MASK = "••••"
MASK_HINT_MIN_LEN = 20
"""Shortest secret whose last 4 characters may be shown (at most a fifth of it)."""


class InvalidSecret(ValueError):
    """A stored secret cannot be decrypted: wrong key, wrong `aad`, or tampered text."""


def _derive(secret_key: str | bytes) -> bytes:
    material = secret_key.encode() if isinstance(secret_key, str) else bytes(secret_key)
    if not material:
        raise ValueError("secret key must not be empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO)
    return hkdf.derive(material)


class _Key:
    __slots__ = ("aead", "key_id")

    def __init__(self, secret_key: str | bytes) -> None:
        raw = _derive(secret_key)
        # A short, non-secret fingerprint picks the right key on rotation without trial decryption.
        self.key_id = hashlib.sha256(b"key-id" + raw).digest()[:_KEY_ID_LEN]
        self.aead = AESGCM(raw)


class SecretBox:
    """Authenticated encryption of short secrets with a key derived from `SECRET_KEY`."""

    __slots__ = ("_keys",)

    def __init__(self, secret_key: str | bytes, *, old_keys: Iterable[str | bytes] = ()) -> None:
        self._keys = [_Key(secret_key), *(_Key(k) for k in old_keys)]

    def __repr__(self) -> str:
        return f"<SecretBox keys={len(self._keys)}>"

    @classmethod
    def from_settings(cls, settings: object | None = None) -> SecretBox:
        """Box keyed by the configured (or generated) `SECRET_KEY`."""
        if settings is None:
            from videohar.config import get_settings

            settings = get_settings()
        return cls(settings.secret())  # type: ignore[attr-defined]

    def encrypt(self, plaintext: str, *, aad: str = "") -> str:
        """Ciphertext as ASCII text safe for a VARCHAR/TEXT column; random nonce each call."""
        key = self._keys[0]
        nonce = os.urandom(_NONCE_LEN)
        sealed = key.aead.encrypt(nonce, plaintext.encode("utf-8"), aad.encode("utf-8"))
        return _PREFIX + base64.urlsafe_b64encode(key.key_id + nonce + sealed).decode("ascii")

    def decrypt(self, token: str, *, aad: str = "") -> str:
        """Plaintext of `token`; raises `InvalidSecret` (never echoing the token) when it does not open."""
        if not isinstance(token, str) or not token.startswith(_PREFIX):
            raise InvalidSecret("not a videohar secret (unknown format)")
        try:
            blob = base64.urlsafe_b64decode(token[len(_PREFIX) :].encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise InvalidSecret("secret is not valid base64") from None
        if len(blob) < _KEY_ID_LEN + _NONCE_LEN + 16:
            raise InvalidSecret("secret is truncated")
        head = _KEY_ID_LEN + _NONCE_LEN
        key_id, nonce, sealed = blob[:_KEY_ID_LEN], blob[_KEY_ID_LEN:head], blob[head:]
        for key in self._keys:
            if key.key_id != key_id:
                continue
            try:
                return key.aead.decrypt(nonce, sealed, aad.encode("utf-8")).decode("utf-8")
            except InvalidTag:
                raise InvalidSecret("secret does not authenticate (tampered, or stored elsewhere)") from None
        raise InvalidSecret("secret was encrypted with an unknown key")

    def needs_rotation(self, token: str) -> bool:
        """True when `token` opens only with an old key and should be re-encrypted."""
        try:
            blob = base64.urlsafe_b64decode(token[len(_PREFIX) :].encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return False
        return blob[:_KEY_ID_LEN] != self._keys[0].key_id


def mask(secret: str | None) -> str:
    """Display form of a secret: ``••••`` plus the last 4 characters only for long secrets."""
    if not secret:
        return ""
    if len(secret) >= MASK_HINT_MIN_LEN:
        return MASK + secret[-4:]
    return MASK
