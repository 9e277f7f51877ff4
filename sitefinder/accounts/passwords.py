"""Password hashes (Argon2id through argon2-cffi) and the minimum strength of a new password.

A password is never stored, logged or sent back: only its Argon2id hash (the library's
RFC 9106 parameters, salt included) is kept. The strength rules follow NIST SP 800-63B: a
minimum length (``Settings.password_min_length``), no composition rules, and a refusal of
passwords that are common, repetitive, or made of the account's own e-mail address.
"""

from __future__ import annotations

import itertools
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sitefinder.core.errors import WeakPasswordError

MAX_LENGTH = 256  # Argon2 takes any length; a cap keeps a login from being a cheap DoS
MIN_DISTINCT = 6
_HASHER = PasswordHasher()

# Passwords (and stems) every guessing list starts with, lower case; a password made of one of
# these plus digits or punctuation is refused too, and so is one of digits and punctuation only.
COMMON = frozenset(
    """
    password passwort wachtwoord welkom welkom01 geheim qwerty qwertyuiop azerty asdfgh
    asdfghjkl zxcvbn letmein iloveyou admin administrator beheerder changeme monkey dragon
    football voetbal sunshine princess master shadow summer zomer winter lente herfst
    sitefinder woonplek gemeente provincie nederland amsterdam rotterdam utrecht
    abcdefghijkl abcdefghijklmnop 1234567890 123456789012 0987654321 trustno1 hallo
    """.split()  # noqa: SIM905 - a word list reads better as text
)
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing or broken hash never matches.

    Without a hash (unknown account, SSO-only account) a dummy hash is verified all the same,
    so the answer takes as long and does not tell whether the account exists.
    """
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """The hash was made with weaker parameters than the library's current ones."""
    return _HASHER.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def check_strength(password: str, *, email: str = "", min_length: int = 12) -> None:
    """Refuse a weak new password with a message saying why (never repeating the password)."""
    if len(password) < min_length:
        raise WeakPasswordError(f"password must have at least {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"password must have at most {MAX_LENGTH} characters")
    if password != password.strip():
        raise WeakPasswordError("password must not start or end with a space")
    if len(set(password)) < MIN_DISTINCT:
        raise WeakPasswordError(
            f"password must contain at least {MIN_DISTINCT} different characters"
        )
    lowered = password.lower()
    stem = lowered.strip("0123456789!@#$%^&*()_+-=.,;:?~ ")
    if lowered in COMMON or stem in COMMON or not stem or _is_sequence(lowered):
        raise WeakPasswordError("password is too common or too easy to guess")
    local, _, domain = email.lower().partition("@")
    parts = [local, domain.split(".")[0]] if email else []
    if any(len(part) >= 4 and part in lowered for part in parts):
        raise WeakPasswordError("password must not contain the e-mail address")


def _is_sequence(text: str) -> bool:
    """One character, or a run of consecutive characters, repeated (aaaa…, abcabc…, 1234…)."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    if len(steps) <= 1:
        return True
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    return False


def generate_password() -> str:
    """A random password of about 110 bits: four groups of five easy-to-read characters."""
    groups = ["".join(secrets.choice(ALPHABET) for _ in range(5)) for _ in range(4)]
    return "-".join(groups)
