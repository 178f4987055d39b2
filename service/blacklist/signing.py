"""The Ed25519 key list releases are signed with (rules §9, 定期公布).

The private key is a PEM (PKCS#8) file, created on first use with mode 0600. Two processes
starting at once must end up with one key: each writes its own candidate to a private temporary
file and hard-links it into place, which succeeds for exactly one of them; the loser discards its
candidate and reads the winner's. A reader therefore never sees a half-written key file."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from service.blacklist.config import BlacklistSettings, get_blacklist_settings
from service.config import get_settings

ALGORITHM = "Ed25519"
DEFAULT_KEY_FILE = "release-signing-key.pem"


def key_file(settings: BlacklistSettings | None = None, data_dir: Path | None = None) -> Path:
    """Where the signing key lives: the configured file, else under the data directory."""
    settings = settings or get_blacklist_settings()
    if settings.signing_key_file is not None:
        return settings.signing_key_file
    return (data_dir or get_settings().data_dir) / DEFAULT_KEY_FILE


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    candidate = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        # link() refuses to replace an existing file: whoever links first owns the key.
        with contextlib.suppress(FileExistsError):
            os.link(candidate, path)
    finally:
        candidate.unlink(missing_ok=True)


def load_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The signing key, created at `path` (default: `key_file()`) when there is none yet."""
    path = path or key_file()
    if not path.exists():
        _create(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The public key as published: base64 of the raw 32 bytes."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    """The base64 Ed25519 signature of `data`."""
    return base64.b64encode(key.sign(data)).decode("ascii")


def verify(public_key: str, data: bytes, signature: str) -> bool:
    """Whether `signature` (base64) is the signature of `data` by `public_key` (base64, raw)."""
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(
            base64.b64decode(signature), data
        )
    except (InvalidSignature, ValueError):
        return False
    return True
