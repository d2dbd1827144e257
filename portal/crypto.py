"""Encryption of the secrets the portal must keep: the msal token cache, bulk temporary passwords.

`encrypt` and `decrypt` use Fernet (AES-128-CBC with an HMAC, from `cryptography`) through
`MultiFernet`, so keys can be rotated: `PORTAL_ENCRYPTION_KEY` is a comma-separated list, the
first key encrypts and every key decrypts. To rotate, put a new key first, keep the old one after
it until everything encrypted with it has been re-encrypted or has expired, then drop it.

Sandbox mode may run without a key: one is derived from `SECRET_KEY`, so a fresh checkout works
with no configuration. Live mode never derives one (settings refuse to load without a key), so
that a leaked `SECRET_KEY` does not also open the token cache, and so that the key that protects
the data to back up is one the operator knows they must keep.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_VARIABLE = "PORTAL_ENCRYPTION_KEY"
# Fixed, so the derived key stays the same across restarts; changing it would make everything
# encrypted in sandbox mode unreadable.
_SANDBOX_KEY_INFO = b"partner-portal sandbox encryption key v1"


class DecryptionError(Exception):
    """A value could not be decrypted with any configured key (or was not a token at all)."""


def generate_key() -> str:
    """A new random Fernet key, as text for `PORTAL_ENCRYPTION_KEY`."""
    return Fernet.generate_key().decode("ascii")


def is_valid_key(key: str) -> bool:
    """Whether `key` is a Fernet key: 32 bytes in url-safe base64."""
    try:
        Fernet(key)
    except (ValueError, TypeError):
        return False
    return True


def derive_sandbox_key(secret_key: str) -> str:
    """The sandbox's key: HKDF-SHA256 of `SECRET_KEY` with a fixed info string."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SANDBOX_KEY_INFO).derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw).decode("ascii")


def active_keys() -> list[str]:
    """The keys in use, the encrypting one first.

    Settings have already validated `PORTAL_ENCRYPTION_KEYS` and refused live mode without any;
    the check here covers settings changed at run time (tests, a misconfigured override).
    """
    keys = list(settings.PORTAL_ENCRYPTION_KEYS)
    if keys:
        return keys
    if settings.SANDBOX_ENABLED:
        return [derive_sandbox_key(settings.SECRET_KEY)]
    raise ImproperlyConfigured(f"{KEY_VARIABLE} is required in live mode.")


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in active_keys()])


def encrypt(text: str) -> str:
    """`text` encrypted with the first key, as url-safe ASCII (safe in a text column)."""
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The text `encrypt` was given; `DecryptionError` if no configured key opens it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        # Never include the token itself: it is the ciphertext of a secret.
        raise DecryptionError(
            f"The stored value cannot be decrypted with any key in {KEY_VARIABLE}: the key it "
            "was encrypted with was probably rotated away (or the value was changed). Put that "
            "key back in the list, after the current one."
        ) from None


def reencrypt(token: str) -> str:
    """`token` re-encrypted with the first key (for finishing a rotation)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise DecryptionError(
            f"The stored value cannot be decrypted with any key in {KEY_VARIABLE}."
        ) from None


def uses_first_key(token: str) -> bool:
    """Whether the first key alone opens `token` (False: it still needs an older key)."""
    try:
        Fernet(active_keys()[0]).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


__all__ = [
    "KEY_VARIABLE",
    "DecryptionError",
    "decrypt",
    "derive_sandbox_key",
    "encrypt",
    "generate_key",
    "is_valid_key",
    "reencrypt",
    "uses_first_key",
]
