from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from marketplace.accounts.models import ApiToken, Role
from marketplace.accounts.services import api_token_create, api_token_revoke, user_sign_up
from marketplace.core.errors import NotAllowed
from marketplace.core.schemas import InputSchema, errors
from marketplace.security.ratelimit import payload_email, rate_limit

router = Router(tags=["accounts"])


class SignUpIn(InputSchema):
    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=128)
    full_name: str = Field("", max_length=150)
    phone: str = Field("", max_length=32)
    role: Role = Role.CUSTOMER


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    is_operator: bool


class TokenIn(InputSchema):
    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=128)
    name: str = Field("mobile", max_length=100)


class TokenCreatedOut(Schema):
    id: int
    token: str = Field(description="Shown once; store it securely")
    prefix: str
    name: str


class TokenOut(Schema):
    id: int
    prefix: str
    name: str
    created_at: str
    last_used_at: str | None
    revoked: bool


def _user_out(user) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "is_operator": user.is_operator,
    }


@router.post("/signup", auth=None, response={201: UserOut, **errors(400, 403, 422)})
@rate_limit("signup_ip")
def sign_up(request, payload: SignUpIn):
    user = user_sign_up(
        email=payload.email,
        password=payload.password,
        full_name=payload.full_name,
        phone=payload.phone,
        role=payload.role,
    )
    return Status(201, _user_out(user))


@router.post("/tokens", auth=None, response={201: TokenCreatedOut, **errors(400, 401, 422)})
@rate_limit("login_ip")
@rate_limit("login_email", key=payload_email)
@rate_limit("token_create", key=payload_email)
def token_create(request, payload: TokenIn):
    """Exchange e-mail and password for a personal API token (for the mobile app)."""
    user = authenticate(request, email=payload.email.lower(), password=payload.password)
    if user is None:
        raise NotAllowed("Wrong e-mail or password", code="bad_credentials").with_status(401)
    token, raw = api_token_create(user=user, name=payload.name)
    return Status(201, {"id": token.pk, "token": raw, "prefix": token.prefix, "name": token.name})


@router.get("/tokens", response={200: list[TokenOut], **errors(401)})
def token_list(request):
    return [
        {
            "id": t.pk,
            "prefix": t.prefix,
            "name": t.name,
            "created_at": t.created_at.isoformat(),
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            "revoked": not t.is_active,
        }
        for t in ApiToken.objects.filter(user=request.auth)
    ]


@router.delete("/tokens/{token_id}", response={204: None, **errors(401, 403, 404, 422)})
def token_revoke(request, token_id: int):
    api_token_revoke(token=get_object_or_404(ApiToken, pk=token_id, user=request.auth))
    return Status(204, None)


@router.get("/me", response={200: UserOut, **errors(401)})
def me(request):
    return _user_out(request.auth)
