"""The per-install secret key of the embedded default (no SECRET_KEY in the environment).

Made once with `secrets`, kept in a file only its owner can read, never shared between
installs: a key published in the code would let anyone forge subscriber links.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def read_or_create(path: Path) -> str:
    """The key stored at `path`, written there first (mode 0600) if there is none.

    Safe when several processes start at once: the key is written to a private temporary
    file and linked into place, so a reader never sees a half-written key, and the first
    process to link wins.
    """
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process got there first: its key is the install's key
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(
            f"{path} holds no usable secret key: delete it to have a new one made"
        )
    return key
