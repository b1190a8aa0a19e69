"""Personal information (PIPL): the shapes of ID and mobile numbers, masking, encryption at
rest and keyed search hashes.

Resident ID numbers, mobile numbers and birth dates are stored encrypted (Fernet); ID and
mobile numbers also as a keyed HMAC for exact search and uniqueness. Nothing else is kept
of them: masked forms are derived from the decrypted value when shown, so that a database
dump without the data key cannot narrow a number down (see README, "Personal data").

Columns holding such values say so in their ``info`` (:data:`ENCRYPTED`, :func:`keyed_hash`):
``trainhub rotate-data-key`` and the test that reads a dump as an attacker would both walk
the metadata by these marks.

The data key is 32 random bytes in Fernet's url-safe base64 form. The encryption key and
the search-hash key derive (HKDF) from it. Several keys may be readable at once (the
current one and the old ones being rotated out); only the current one writes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

# shapes -------------------------------------------------------------------------------------

#: An 18-character resident ID number (GB 11643): 17 digits and a digit or ``X``.
ID_NUMBER_SHAPE = re.compile(r"\d{17}[\dX]")
#: A mainland China mobile number: 11 digits starting 13–19.
MOBILE_SHAPE = re.compile(r"1[3-9]\d{9}")
#: Text with this many digits counts as a personal number even when it is not a well-formed
#: one (an old 15-digit ID, ``5202-2119-9003-07123X``, ``86 138…``): it stays out of
#: addresses and logs all the same.
PERSONAL_DIGITS = 11

#: Full-width digits and letters that Chinese input methods produce.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ－　（）＋", "0123456789XX- ()+")


def normalize_id_number(value: str | None) -> str:
    """Strip spaces, turn full-width characters half-width and ``x`` into ``X``."""
    text = (value or "").translate(_FULL_WIDTH)
    return re.sub(r"\s+", "", text).upper()


def normalize_phone(value: str | None) -> str:
    """Strip spaces, dashes and brackets, and a ``+86`` / ``0086`` country code."""
    text = (value or "").translate(_FULL_WIDTH)
    text = re.sub(r"[\s\-()]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    return text


def id_number_of(text: str | None) -> str | None:
    """The normalised ID number if ``text`` has the shape of one (checksum not checked)."""
    number = normalize_id_number(text)
    return number if ID_NUMBER_SHAPE.fullmatch(number) else None


def mobile_of(text: str | None) -> str | None:
    """The normalised mobile number if ``text`` has the shape of one."""
    phone = normalize_phone(text)
    return phone if MOBILE_SHAPE.fullmatch(phone) else None


def looks_personal(text: str | None) -> bool:
    """Whether ``text`` is, or looks like, an ID or mobile number (kept out of URLs, logs)."""
    if not text:
        return False
    if id_number_of(text) or mobile_of(text):
        return True
    return len(re.sub(r"\D", "", normalize_id_number(text))) >= PERSONAL_DIGITS


# masking ------------------------------------------------------------------------------------


def mask_id_number(value: str) -> str:
    """``620102199001011234`` -> ``6201**********1234`` (for display only: never stored)."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` -> ``138****5678`` (for display only: never stored)."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# column marks -------------------------------------------------------------------------------

#: ``info`` of a column holding a Fernet token of personal data.
ENCRYPTED = {"pii": "encrypted"}


def keyed_hash(source: str) -> dict:
    """``info`` of a column holding the keyed hash of the value encrypted in ``source``."""
    return {"pii": "keyed_hash", "source": source}


# the data key -------------------------------------------------------------------------------


class DataKeyError(ValueError):
    """A data key that is not 32 random bytes in url-safe base64; the message says why."""


#: How to make a key, for the messages.
GENERATE_HINT = "trainhub rotate-data-key --generate"
#: Fewer distinct byte values than this in 32 bytes is no random key (a random one has ~30).
_MIN_DISTINCT_BYTES = 16


def check_data_key(value: str, *, name: str = "TRAINHUB_DATA_KEY") -> str:
    """``value`` stripped if it is a well-formed data key; :class:`DataKeyError` otherwise.

    Well-formed: Fernet's format, 32 bytes in url-safe base64 (44 characters ending ``=``),
    not visibly patterned. A passphrase would make every keyed hash guessable: whoever
    guesses it could hash all mobile numbers and match them.
    """
    text = (value or "").strip()
    advice = (f"请用 `{GENERATE_HINT}` 生成新的密钥 / generate one with `{GENERATE_HINT}` "
              "(README, 'Secrets and backups').")
    if not text:
        raise DataKeyError(f"{name} 为空 / {name} is empty. {advice}")
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = None
    if raw is None or len(raw) != 32 or base64.urlsafe_b64encode(raw).decode() != text:
        raise DataKeyError(
            f"{name} 格式不正确：应为 32 字节随机数的 URL 安全 Base64 编码（44 个字符，以 = 结尾）。"
            f" / {name} is not a data key: it must be 32 random bytes in url-safe base64 "
            f"(44 characters ending in '='), as Fernet keys are. {advice}"
        )
    if len(set(raw)) < _MIN_DISTINCT_BYTES:
        raise DataKeyError(
            f"{name} 不是随机生成的密钥（字节重复过多）。 / {name} is not random (too many "
            f"repeated bytes). {advice}"
        )
    return text


def generate_data_key() -> str:
    return Fernet.generate_key().decode()


def _derive(base_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        base_key.encode()
    )


class PersonalDataCipher:
    """Encrypts with the current key; decrypts with the current or any old key; hashes with
    the current key (:meth:`search_hashes` gives every readable key's hash, for lookups
    while a rotation is under way)."""

    def __init__(self, base_key: str, old_keys: Iterable[str] = ()):
        keys = [check_data_key(base_key)]
        keys += [check_data_key(key, name="TRAINHUB_OLD_DATA_KEYS") for key in old_keys
                 if key.strip() and key.strip() != keys[0]]
        self._fernet = MultiFernet(
            [Fernet(base64.urlsafe_b64encode(_derive(key, b"trainhub-encrypt"))) for key in keys]
        )
        self._index_keys = [_derive(key, b"trainhub-search-index") for key in keys]

    @property
    def key_count(self) -> int:
        return len(self._index_keys)

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:  # wrong DATA_KEY: say so rather than show garbage
            raise UndecryptableError(
                "personal data cannot be decrypted with the configured DATA_KEY "
                "(or any of TRAINHUB_OLD_DATA_KEYS)"
            ) from exc

    def search_hash(self, value: str) -> str:
        """Keyed hash of a normalised value under the current key."""
        return hmac.new(self._index_keys[0], value.encode(), hashlib.sha256).hexdigest()

    def search_hashes(self, value: str) -> list[str]:
        """The value's keyed hash under every readable key, the current key's first: what a
        row may hold until ``trainhub rotate-data-key`` has rewritten it."""
        return [hmac.new(key, value.encode(), hashlib.sha256).hexdigest() for key in self._index_keys]


class UndecryptableError(RuntimeError):
    """A token that none of the configured data keys opens."""


def cipher() -> PersonalDataCipher:
    """The application's cipher (created once per app in the factory)."""
    return current_app.extensions["trainhub_pii"]
