"""HTTP Basic: names and salted password hashes in a file, checked with argon2 (or bcrypt).

The file has one ``name:hash`` line per user (``#`` starts a comment); ``ivoa-eb-broker
passwd FILE NAME`` adds or replaces a line. Hashes are argon2id strings made by argon2-cffi;
bcrypt hashes (``$2b$...``, as ``htpasswd -B`` writes) are accepted too. The file is read again
when it changes, so an operator adds users without a restart.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
#: Verified when the name is unknown, so that a wrong name costs as long as a wrong password
#: (no timing oracle for which names exist).
_DUMMY = _HASHER.hash("not a password of anyone")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` for the password file."""
    return _HASHER.hash(password)


class PasswordFile:
    """The users of one password file, reloaded when its modification time changes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, str] = {}
        self._load()

    def _load(self) -> None:
        try:
            stat = self.path.stat()
        except OSError as problem:
            raise ValueError(f"[auth.basic] password_file {self.path}: {problem.strerror}"
                             ) from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        users: dict[str, str] = {}
        for number, line in enumerate(self.path.read_text("utf-8").splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, colon, hashed = line.partition(":")
            if not colon or not name or not hashed:
                raise ValueError(f"{self.path}:{number}: expected name:hash")
            users[name] = hashed
        self._users, self._stamp = users, stamp

    def verify(self, name: str, password: str) -> bool:
        """Whether ``password`` is the password of ``name`` (False for an unknown name)."""
        with self._lock:
            self._load()
            hashed = self._users.get(name)
        if hashed is None:
            _check(_DUMMY, password)
            return False
        return _check(hashed, password)


def _check(hashed: str, password: str) -> bool:
    if hashed.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
        except ValueError:
            return False
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(path: str | os.PathLike[str], name: str, password: str) -> None:
    """Add ``name`` to the password file at ``path`` (created if missing), or replace its hash."""
    if not name or ":" in name or any(c.isspace() for c in name):
        raise ValueError("a user name has no ':' and no white space")
    target = Path(path)
    lines = target.read_text("utf-8").splitlines() if target.exists() else []
    kept = [line for line in lines if line.partition(":")[0].strip() != name]
    kept.append(f"{name}:{hash_password(password)}")
    target.write_text("\n".join(kept) + "\n", "utf-8")
    target.chmod(0o600)
