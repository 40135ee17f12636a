"""The workspace's data key: where it comes from (``encryption:`` in seamline.yaml) and
its format (32 bytes, written as base64 or as 64 hexadecimal characters).

A key is never echoed: errors name the setting, the file or the command, not the value.
"""

from __future__ import annotations

import base64
import binascii
import re
import shlex
import subprocess
from pathlib import Path
from typing import Protocol

from seamline.errors import SeamlineError

KEY_BYTES = 32
FORMAT = "32 bytes written as base64 (44 characters) or as 64 hexadecimal characters"
GENERATE = 'python -c "import os, base64; print(base64.b64encode(os.urandom(32)).decode())"'
_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


class DataKeyError(SeamlineError):
    """The data key is missing, malformed, or does not open a file."""


class KeySource(Protocol):
    """The ``encryption:`` block of seamline.yaml (``workspace.models.EncryptionSpec``)."""

    @property
    def key_value(self) -> str | None: ...
    @property
    def key_file(self) -> str | None: ...
    @property
    def key_command(self) -> str | None: ...
    @property
    def timeout_seconds(self) -> float: ...


def parse_key(text: str, where: str) -> bytes:
    """The 32 key bytes written in ``text``; ``where`` names the setting it came from."""
    text = text.strip()
    if not text:
        raise DataKeyError(
            "the data key is empty",
            where=where,
            allowed=FORMAT,
            hint=f"Generate one with: {GENERATE}",
        )
    if _HEX.match(text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise DataKeyError(
            "the data key is neither base64 of 32 bytes nor 64 hexadecimal characters",
            where=where,
            allowed=FORMAT,
            hint=f"Generate one with: {GENERATE}",
        )
    return raw


def resolve_key(source: KeySource, root: Path) -> bytes:
    """The key the ``encryption:`` block names; ``root`` resolves a relative ``key_file``."""
    if source.key_value is not None:
        return parse_key(source.key_value, "seamline.yaml encryption.key")
    if source.key_file is not None:
        return _from_file(source.key_file, root)
    if source.key_command is not None:
        return _from_command(source.key_command, source.timeout_seconds, root)
    raise DataKeyError(
        "the encryption block names no key",
        where="seamline.yaml encryption",
        allowed="exactly one of key, key_file, key_command",
    )


def _from_file(name: str, root: Path) -> bytes:
    path = Path(name).expanduser()
    path = path if path.is_absolute() else root / path
    where = f"seamline.yaml encryption.key_file ({path})"
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise DataKeyError(
            "the key file does not exist", where=where, hint="Check the path, or create it."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataKeyError(
            f"the key file cannot be read: {type(exc).__name__}",
            where=where,
            allowed=FORMAT,
        ) from None
    return parse_key(text, where)


def _from_command(command: str, timeout: float, root: Path) -> bytes:
    """Run the command (no shell) and read the key from its standard output."""
    where = "seamline.yaml encryption.key_command"
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise DataKeyError(
            f"the key command cannot be split into words: {exc}", where=where
        ) from None
    if not argv:
        raise DataKeyError("the key command is empty", where=where)
    program = argv[0]
    try:
        done = subprocess.run(
            argv, cwd=root, capture_output=True, timeout=timeout, check=False, text=True
        )
    except FileNotFoundError:
        raise DataKeyError(
            f"the key command's program {program!r} was not found",
            where=where,
            hint="Give the full path of the program, or put it on PATH.",
        ) from None
    except subprocess.TimeoutExpired:
        raise DataKeyError(
            f"the key command {program!r} did not finish within {timeout:g} seconds",
            where=where,
            hint="Check that the key service answers, or raise encryption.timeout_seconds.",
        ) from None
    except OSError as exc:
        raise DataKeyError(
            f"the key command {program!r} could not be started: {exc.strerror}", where=where
        ) from None
    if done.returncode != 0:
        # Its error output may say why (no access, service down); it never holds the key.
        said = done.stderr.strip().splitlines()[-1:] if done.stderr else []
        raise DataKeyError(
            f"the key command {program!r} failed with exit code {done.returncode}"
            + (f": {said[0][:200]}" if said else ""),
            where=where,
            hint="Run the command yourself to see why; it must print the key and exit 0.",
        )
    return parse_key(done.stdout, f"the output of {where}")
