from datetime import UTC, datetime
from typing import Annotated, Any

from django.utils import timezone
from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import BaseModel, StrictFloat, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from marketplace.core.errors import NotAllowed, ValidationFailed


class ErrorOut(Schema):
    detail: str
    code: str


# Documented error responses shared by operations (the handler in marketplace/api.py emits them).
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


# The largest list offset used: any offset beyond the data gives an empty page, and larger numbers
# would overflow the database's OFFSET (a 500 found by tests/project/test_fuzz_api.py).
MAX_OFFSET = 2**31 - 1


def as_utc(value: datetime | None) -> datetime | None:
    """An aware datetime from a client, moved to UTC before it reaches the database: ISO 8601
    allows offsets up to ±23:59 but PostgreSQL refuses those beyond ±15:59 (a 500 found by
    tests/project/test_fuzz_api.py). Naive values and None pass through for the caller to judge."""
    if value is None or timezone.is_naive(value):
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationFailed("That time is out of range") from None


def errors(*codes: int) -> dict:
    return {code: ErrorOut for code in codes}


# --- Request bodies: the schema says exactly what the server takes (issue 21) ------------------
# One constant per limit, used by the input schemas below and in the apps' api.py, and by the
# services that check the same thing (tests/project/test_api_contract.py compares the OpenAPI
# document with what the server accepts at each boundary). Limits the services already name
# are imported from them where they are used (helpers.services.MAX_BIO_LENGTH, MAX_RADIUS_KM,
# messaging's MAX_BODY, jobs.disputes.MAX_TEXT).

JOB_DESCRIPTION_MIN_LENGTH = 10  # jobs.services.job_post: "at least 10 characters"
JOB_DESCRIPTION_MAX_LENGTH = 4000  # jobs.services.job_post; JobRequest.description
JOB_NOTE_MAX_LENGTH = 4000  # jobs.services.job_complete; JobRequest.completion_note
JOB_REASON_MAX_LENGTH = 500  # jobs.services.job_cancel/job_release keep 500; cancel_reason
HELPER_REASON_MAX_LENGTH = 300  # helpers.services._change_status keeps 300; status_reason
ADDRESS_MAX_LENGTH = 300  # JobRequest.address
CONTACT_PHONE_MAX_LENGTH = 32  # JobRequest.contact_phone
CITY_MAX_LENGTH = 100  # HelperProfile.city
LANGUAGES_MAX_LENGTH = 64  # HelperProfile.languages
REVIEW_COMMENT_MAX_LENGTH = 2000  # Review.comment
RATING_MIN, RATING_MAX = 1, 5  # jobs.services.review_create
NPS_MIN, NPS_MAX = 0, 10  # jobs.services.review_create
DEACTIVATE_REASON_MAX_LENGTH = 500

ADDRESS_OR_LOCATION = "Give an address or use your location (lat and lng)"
BOTH_COORDINATES = "Give both latitude and longitude"


def Text(*, max_length: int, min_length: int = 0) -> Any:
    """A string whose surrounding whitespace is removed before its length is checked, as the
    services do; min_length=1 therefore means "not blank"."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
    ]


# JSON numbers and booleans only: "52.2" or "true" are refused with 422, not read as numbers
# (pydantic's default lax mode would). An integer is still a valid float. Query and path
# parameters keep the lax types: they arrive as strings.
Latitude = Annotated[StrictFloat, Field(ge=-90, le=90)]
Longitude = Annotated[StrictFloat, Field(ge=-180, le=180)]


class InputSchema(Schema):
    """The base of every JSON request body. The body must be a JSON object: django-ninja's
    Schema reads its input by attribute, so a list such as `[null, null]` would otherwise pass
    as an object with every field left out (an empty PATCH answered 200)."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        raw = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(raw, dict | BaseModel):
            raise PydanticCustomError("model_type", "Input should be a JSON object")
        return data


def require_operator(request) -> None:
    """Operator-only API operations: 403 for any other authenticated account."""
    if not request.auth.is_operator:
        raise NotAllowed("Operators only")
