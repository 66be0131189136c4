"""API: log out everywhere; operators deactivate an account."""

from django.contrib.auth import logout
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from marketplace.accounts.models import User
from marketplace.accounts.sessions import user_deactivate, user_end_all_sessions
from marketplace.core.errors import NotAllowed
from marketplace.core.schemas import DEACTIVATE_REASON_MAX_LENGTH, InputSchema, Text, errors

router = Router(tags=["security"])
operator_router = Router(tags=["security"])


class LogoutAllOut(Schema):
    revoked_tokens: int


class DeactivateIn(InputSchema):
    reason: Text(min_length=1, max_length=DEACTIVATE_REASON_MAX_LENGTH) = Field(
        description="Not blank; kept in the audit log"
    )


class DeactivatedOut(Schema):
    id: int
    is_active: bool


# The operation ids are the ones these had in security/api.py, so clients keep them.
@router.post(
    "/logout-all",
    response={200: LogoutAllOut, **errors(401, 403)},
    operation_id="marketplace_security_api_logout_all",
)
def logout_all(request):
    """End every browser session of this account and revoke all its API tokens (this one too)."""
    revoked = user_end_all_sessions(user=request.auth)
    if request.user.is_authenticated:
        logout(request)
    return {"revoked_tokens": revoked}


@operator_router.post(
    "/users/{user_id}/deactivate",
    response={200: DeactivatedOut, **errors(400, 401, 403, 404, 422)},
    operation_id="marketplace_security_api_deactivate_user",
)
def deactivate_user(request, user_id: int, payload: DeactivateIn):
    """Close a customer's or helper's account: no more logins, every session and token ends."""
    if not request.auth.is_operator:
        raise NotAllowed("Only operators can deactivate accounts")
    user = user_deactivate(
        actor=request.auth, user=get_object_or_404(User, pk=user_id), reason=payload.reason
    )
    return Status(200, {"id": user.pk, "is_active": user.is_active})
