"""User administration for a beheerder: list accounts, disable or enable one, grant and revoke
roles. Creating accounts and setting passwords is done with ``sitefinder user ...`` (a new
password is shown once, in the terminal: never in an API answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from sitefinder.accounts import users
from sitefinder.accounts.roles import parse_grant
from sitefinder.api.accountmodels import Done, GrantBody, Users
from sitefinder.api.errors import error_responses
from sitefinder.api.security import AccountsConn, Admin, AdminReader
from sitefinder.core.errors import PermissionDeniedError

router = APIRouter(prefix="/api/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=2**62)]
WRITE_ERRORS = error_responses(401, 403, 404, 422, 500, 503)


@router.get("", responses=error_responses(401, 403, 500, 503))
def list_users(session: AdminReader, c: AccountsConn) -> Users:
    """Every account with its roles (never a password or hash)."""
    return Users.model_validate({"users": users.list_users(c)})


@router.post("/{user_id}/disable", responses=WRITE_ERRORS)
def disable(user_id: UserId, session: Admin, c: AccountsConn) -> Done:
    """Disable an account: it cannot log in, and its sessions end."""
    if user_id == session.viewer.user_id:
        raise PermissionDeniedError("you cannot disable your own account")
    users.set_disabled(c, users.require_id(c, user_id)["id"], True)
    return Done(ok=True)


@router.post("/{user_id}/enable", responses=WRITE_ERRORS)
def enable(user_id: UserId, session: Admin, c: AccountsConn) -> Done:
    users.set_disabled(c, users.require_id(c, user_id)["id"], False)
    return Done(ok=True)


@router.post("/{user_id}/roles", responses=WRITE_ERRORS)
def grant(user_id: UserId, body: GrantBody, session: Admin, c: AccountsConn) -> Done:
    """Grant a role with its scope (e.g. provincie PV25)."""
    users.grant(c, users.require_id(c, user_id)["id"], parse_grant(body.role, body.scope))
    return Done(ok=True)


@router.post("/{user_id}/roles/revoke", responses=WRITE_ERRORS)
def revoke(user_id: UserId, body: GrantBody, session: Admin, c: AccountsConn) -> Done:
    users.revoke(c, users.require_id(c, user_id)["id"], parse_grant(body.role, body.scope))
    return Done(ok=True)
