"""Personal information (PIPL): encryption at rest, keyed search hashes, masking.

Resident ID numbers and mobile numbers are stored three ways: encrypted (Fernet) for the
few places that show the full value, as a keyed HMAC for exact search and uniqueness, and
masked for every list, export and API listing. The two keys derive (HKDF) from one base
key, ``DATA_KEY``, which must be backed up: without it the encrypted values are lost.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

#: A mainland mobile number once normalised (:func:`normalize_phone`): 11 digits from 13x to 19x.
PHONE_SHAPE = re.compile(r"^1[3-9]\d{9}$")

_FULL_WIDTH = str.maketrans("０１２３４５６７８９－　（）", "0123456789- ()")


def normalize_phone(value: str | None) -> str:
    """A mobile number as people type it, reduced to its digits: full-width digits, spaces,
    dashes and brackets, and a +86 / 0086 prefix are taken away. Whether the result is a
    mobile number at all is :data:`PHONE_SHAPE`'s question."""
    text = (value or "").translate(_FULL_WIDTH)
    text = re.sub(r"[\s\-()]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    return text


def _derive(base_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        base_key.encode()
    )


class PersonalDataCipher:
    def __init__(self, base_key: str):
        if not base_key:
            raise ValueError("DATA_KEY is empty")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(base_key, b"trainhub-encrypt")))
        self._index_key = _derive(base_key, b"trainhub-search-index")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:  # wrong DATA_KEY: say so rather than show garbage
            raise RuntimeError("personal data cannot be decrypted with the configured DATA_KEY") from exc

    def search_hash(self, value: str) -> str:
        """Keyed hash of a normalised value: equal inputs give equal hashes, nothing leaks."""
        return hmac.new(self._index_key, value.encode(), hashlib.sha256).hexdigest()


def cipher() -> PersonalDataCipher:
    """The application's cipher (created once per app in the factory)."""
    return current_app.extensions["trainhub_pii"]


def mask_id_number(value: str) -> str:
    """``620102199001011234`` -> ``6201**********1234``."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
