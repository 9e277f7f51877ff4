"""Accounts and their grants in PostgreSQL (``app_user``, ``user_role``).

E-mail addresses are stored in lower case and are the login name. Setting a password or disabling
an account ends the account's sessions; grants are read on every request, so a change of
grants holds from the next request on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import psycopg

from sitefinder.accounts.passwords import hash_password
from sitefinder.accounts.roles import Grant, Viewer, viewer_of
from sitefinder.core.errors import InvalidParameterError, UnknownUserError

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 254

Conn = psycopg.Connection[Any]


def normalise_email(email: str) -> str:
    """The login name: trimmed, lower case; refused when it does not look like an address."""
    value = email.strip().lower()
    if len(value) > MAX_EMAIL or not EMAIL_RE.match(value):
        raise InvalidParameterError("e-mail must look like name@example.nl")
    return value


def create_user(
    conn: Conn,
    email: str,
    *,
    name: str = "",
    password: str | None = None,
    grants: Iterable[Grant] = (),
) -> int:
    """A new account (password hashed here; None: SSO only). Refused when the e-mail exists."""
    address = normalise_email(email)
    digest = hash_password(password) if password is not None else None
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO app_user (email, name, password_hash, password_changed_at)"
            " VALUES (%s, %s, %s, CASE WHEN %s THEN now() END)"
            " ON CONFLICT (email) DO NOTHING RETURNING id",
            (address, name.strip()[:200], digest, digest is not None),
        ).fetchone()
        if row is None:
            raise InvalidParameterError(f"an account with e-mail {address} exists already")
        for grant in grants:
            _insert_grant(conn, row["id"], grant)
    return int(row["id"])


def find(conn: Conn, email: str) -> dict[str, Any] | None:
    """The account row (with its password hash: for the login only), or None."""
    try:
        address = normalise_email(email)
    except InvalidParameterError:
        return None
    row: dict[str, Any] | None = conn.execute(
        "SELECT * FROM app_user WHERE email = %s", (address,)
    ).fetchone()
    return row


def require(conn: Conn, email: str) -> dict[str, Any]:
    row = find(conn, email)
    if row is None:
        raise UnknownUserError(f"no account with e-mail {email.strip().lower()[:MAX_EMAIL]}")
    return row


def require_id(conn: Conn, user_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = conn.execute(
        "SELECT * FROM app_user WHERE id = %s", (user_id,)
    ).fetchone()
    if row is None:
        raise UnknownUserError(f"no account with id {user_id}")
    return row


def grants_of(conn: Conn, user_id: int) -> frozenset[Grant]:
    rows = conn.execute(
        "SELECT role, scope FROM user_role WHERE user_id = %s", (user_id,)
    ).fetchall()
    return frozenset(Grant(r["role"], r["scope"]) for r in rows)


def viewer(conn: Conn, row: dict[str, Any]) -> Viewer:
    return viewer_of(row["id"], row["email"], row["name"], grants_of(conn, row["id"]))


def list_users(conn: Conn) -> list[dict[str, Any]]:
    """Every account with its grants, by e-mail (no hashes)."""
    rows = conn.execute(
        "SELECT u.id, u.email, u.name, u.disabled, u.created_at, u.last_login_at,"
        " u.password_hash IS NOT NULL AS has_password, u.oidc_subject IS NOT NULL AS sso,"
        " coalesce(jsonb_agg(jsonb_build_object('role', r.role, 'scope', r.scope)"
        "   ORDER BY r.role, r.scope) FILTER (WHERE r.role IS NOT NULL), '[]') AS roles"
        " FROM app_user u LEFT JOIN user_role r ON r.user_id = u.id"
        " GROUP BY u.id ORDER BY u.email"
    ).fetchall()
    return [dict(r) for r in rows]


def set_password(conn: Conn, user_id: int, password: str) -> None:
    """A new password (hashed here); every session of the account ends."""
    with conn.transaction():
        conn.execute(
            "UPDATE app_user SET password_hash = %s, password_changed_at = now() WHERE id = %s",
            (hash_password(password), user_id),
        )
        conn.execute("DELETE FROM user_session WHERE user_id = %s", (user_id,))


def set_disabled(conn: Conn, user_id: int, disabled: bool) -> None:
    with conn.transaction():
        conn.execute("UPDATE app_user SET disabled = %s WHERE id = %s", (disabled, user_id))
        if disabled:
            conn.execute("DELETE FROM user_session WHERE user_id = %s", (user_id,))


def grant(conn: Conn, user_id: int, new: Grant) -> bool:
    """Add a grant; False when the account had it already."""
    return _insert_grant(conn, user_id, new)


def revoke(conn: Conn, user_id: int, old: Grant) -> bool:
    """Remove a grant; False when the account did not have it. Grants are read on every
    request, so the change holds from the account's next request on."""
    gone = conn.execute(
        "DELETE FROM user_role WHERE user_id = %s AND role = %s AND scope = %s",
        (user_id, old.role, old.scope),
    ).rowcount
    return bool(gone)


def _insert_grant(conn: Conn, user_id: int, new: Grant) -> bool:
    added = conn.execute(
        "INSERT INTO user_role (user_id, role, scope) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (user_id, new.role, new.scope),
    ).rowcount
    return bool(added)
