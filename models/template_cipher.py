"""Encrypt and decrypt biometric data with the template key from the settings (R11).

The key lives in the environment or a key file, never in the database: a copy of the database
alone holds only ciphertext.
"""

import numpy as np
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.orm import Session

from models.database import settings_of
from models.errors import RecordsError

TEMPLATE_DTYPE = np.dtype("<f4")


class TemplateKeyError(RecordsError):
    """The key cannot decrypt what is stored: it is not the key the data was encrypted with."""


def cipher(session: Session) -> Fernet:
    key = settings_of(session).template_key_bytes()
    try:
        return Fernet(key)
    except ValueError:
        raise TemplateKeyError("the template key is not a Fernet key (32 url-safe base64-encoded bytes)") from None


def encrypt_template(fernet: Fernet, template: np.ndarray) -> bytes:
    return fernet.encrypt(np.asarray(template, dtype=TEMPLATE_DTYPE).tobytes())


def decrypt_template(fernet: Fernet, token: bytes) -> np.ndarray:
    return np.frombuffer(decrypt(fernet, token), dtype=TEMPLATE_DTYPE)


def decrypt(fernet: Fernet, token: bytes) -> bytes:
    try:
        return fernet.decrypt(token)
    except InvalidToken:
        raise TemplateKeyError(
            "cannot decrypt biometric data: the template key is not the one it was stored with"
        ) from None
