"""Who is asking: sign-in links for students, passwords for tutors, sessions, CSRF tokens, upload keys.

- A student's sign-in link carries ``STUDENT.EXPIRES.SIGNATURE``: an HMAC-SHA256 of the id and the expiry under the
  service's secret (``secret.key`` in its folder, made once, mode 0600). Nothing to remember, nothing stored; a link
  stops working when it expires or when the secret is replaced (``autograder serve invite --new-secret``).
- A tutor's password is stored as an argon2id hash; sign-ins are limited to ``LOGIN_FAILURES`` failures per login
  name and per client address in ``LOGIN_WINDOW_S``.
- A session is a random cookie (HttpOnly, SameSite=Lax, Secure whenever the service's public address is https);
  the database keeps only its SHA-256. Each session has a CSRF token that every form sends back; the tutors'
  sign-in form, which comes before any session, carries one in a SameSite=Strict cookie and in the form.
- An upload key (for ``curl`` or Python from JupyterHub, where there is no browser session) is random, shown to its
  student once, and kept as its SHA-256; a request that carries it needs no CSRF token (no browser sends it by
  itself).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SECRET_FILE = "secret.key"
COOKIE = "autograder_session"
LOGIN_COOKIE = "autograder_login"  # the sign-in form's CSRF token (double submit: cookie and form)
STUDENT_SESSION_S = 7 * 86400
TUTOR_SESSION_S = 12 * 3600
LOGIN_FAILURES = 5
LOGIN_WINDOW_S = 15 * 60
_HASHER = PasswordHasher()


def load_secret(folder: Path, renew: bool = False) -> bytes:
    """The service's signing secret, made on first use (or anew with ``renew``: every link then stops working)."""
    path = Path(folder) / SECRET_FILE
    if renew or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        os.replace(temporary, path)
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, student: str, expires: int) -> str:
    message = f"sign-in\0{student}\0{expires}".encode("utf-8", "surrogatepass")
    return _b64(hmac.new(secret, message, hashlib.sha256).digest())


def sign_in_token(secret: bytes, student: str, expires: int) -> str:
    return f"{_b64(student.encode('utf-8', 'surrogatepass'))}.{expires}.{_signature(secret, student, expires)}"


def read_sign_in_token(secret: bytes, token: str, now: float | None = None) -> str | None:
    """The student a valid, unexpired token names; None for anything else."""
    try:
        encoded, expires_text, signature = token.split(".")
        student, expires = _unb64(encoded).decode("utf-8", "surrogatepass"), int(expires_text)
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(signature, _signature(secret, student, expires)):
        return None
    return student if expires > (time.time() if now is None else now) else None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(stored: str, password: str) -> bool:
    if not stored:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))
