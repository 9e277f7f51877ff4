"""The demo's accounts: one per role, so every journey can be tried on the demo region.

Passwords are random, made when an account is created, and returned once for the terminal
(``sitefinder demo`` prints them); only their hashes are stored, nothing is in the repository.
Run again, the demo keeps the accounts it made (``sitefinder user reset EMAIL`` gives one a new
password). Addresses use the reserved ``.example`` domain.
"""

from __future__ import annotations

from typing import Any

import psycopg

from sitefinder.accounts import users
from sitefinder.accounts.passwords import generate_password
from sitefinder.accounts.roles import Grant

DEMO_ACCOUNTS: tuple[tuple[str, str, tuple[Grant, ...]], ...] = (
    ("beheerder@woonplek.example", "Beheerder (demo)", (Grant("beheerder"),)),
    ("gelderland@woonplek.example", "Provincie Gelderland (demo)", (Grant("provincie", "PV25"),)),
    (
        "noord-holland@woonplek.example",
        "Provincie Noord-Holland (demo)",
        (Grant("provincie", "PV27"),),
    ),
    ("ede@woonplek.example", "Gemeente Ede (demo)", (Grant("gemeente", "GM0228"),)),
    ("coordinator@woonplek.example", "Coördinator (demo)", (Grant("coordinator", "NL"),)),
    ("eigenaar@woonplek.example", "Eigenaar (demo)", (Grant("eigenaar"),)),
)


def create_demo_accounts(conn: psycopg.Connection[Any]) -> list[tuple[str, str, str | None]]:
    """(e-mail, roles, new password or None when the account existed) per demo account."""
    made: list[tuple[str, str, str | None]] = []
    for email, name, grants in DEMO_ACCOUNTS:
        roles = ", ".join(f"{g.role} {g.scope}".strip() for g in grants)
        if users.find(conn, email) is not None:
            made.append((email, roles, None))
            continue
        password = generate_password()
        users.create_user(conn, email, name=name, password=password, grants=grants)
        made.append((email, roles, password))
    return made
