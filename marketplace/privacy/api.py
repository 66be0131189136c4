"""GET /api/me/export: everything about you as JSON. POST /api/me/erase: anonymise your
account (needs `{"confirm": true}`; 409 while a job of yours is open or a payment unsettled)."""

from datetime import datetime
from typing import Any

from django.contrib.auth import logout
from ninja import Field, Router, Schema
from pydantic import StrictBool

from marketplace.core.errors import ValidationFailed
from marketplace.core.schemas import InputSchema, errors
from marketplace.privacy.selectors import export_for
from marketplace.privacy.services import user_erase

router = Router(tags=["privacy"])


class ExportOut(Schema):
    format: str = Field(description="Version of this document's layout")
    exported_at: datetime
    profile: dict[str, Any]
    helper_profile: dict[str, Any] | None
    api_tokens: list[dict[str, Any]]
    jobs_as_customer: list[dict[str, Any]]
    jobs_as_helper: list[dict[str, Any]] = Field(
        description="The customer's address, phone and exact point only while the job is open"
    )
    offers: list[dict[str, Any]]
    messages_written: list[dict[str, Any]]
    photos_uploaded: list[dict[str, Any]]
    reviews_written: list[dict[str, Any]]
    reviews_received: list[dict[str, Any]]
    disputes_opened: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    invoice_lines: list[dict[str, Any]]
    ledger: list[dict[str, Any]] = Field(description="Your side of each money movement")
    payout_account: dict[str, Any] | None
    notifications: list[dict[str, Any]]
    preferences: dict[str, Any]


class EraseIn(InputSchema):
    confirm: StrictBool = Field(description="Must be true: erasure cannot be undone")


class ErasedOut(Schema):
    erased: bool
    user_id: int
    erased_at: datetime
    counts: dict[str, int] = Field(description="Rows changed or deleted, by kind")


@router.get("/export", response={200: ExportOut, **errors(401)})
def export(request):
    return export_for(user=request.user)


@router.post("/erase", response={200: ErasedOut, **errors(400, 401, 403, 409, 422)})
def erase(request, payload: EraseIn):
    if not payload.confirm:
        raise ValidationFailed("Set confirm to true: erasure cannot be undone")
    record = user_erase(user=request.user, via="api")
    if hasattr(request, "session"):
        logout(request)
    return {
        "erased": True,
        "user_id": record.user_id,
        "erased_at": record.erased_at,
        "counts": record.counts,
    }
