"""Helpers' payout accounts (Stripe Connect Express): create on first request, then an
AccountLink to Stripe's hosted onboarding; readiness is mirrored from `account.updated`."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.core.errors import InvalidTransition, NotAllowed
from marketplace.payments import gateway
from marketplace.payments.models import PayoutAccount
from marketplace.payments.webhooks import refresh_account


def onboarding_link(*, helper) -> tuple[str, bool]:
    if not helper.is_helper:
        raise NotAllowed("Only helpers have payout accounts")
    if settings.PAYMENTS_PROVIDER != "stripe":
        raise InvalidTransition(
            "Payouts are settled by the operator with your invoice; nothing to set up"
        )
    account = PayoutAccount.objects.filter(helper=helper).first()
    if account is None:
        profile = getattr(helper, "helper_profile", None)
        country = profile.market.country if profile else "CH"
        remote = gateway.create_account(
            email=helper.email, country=country, key=f"user-{helper.pk}-connect-account"
        )
        with transaction.atomic():
            account, _ = PayoutAccount.objects.get_or_create(
                helper=helper, defaults={"provider_account_id": remote.id}
            )
    else:
        account = refresh_account(account)
    base = f"{settings.SITE_URL}/helper/payouts/"
    # Links are single-use and short-lived: one key per account and minute, so a double click
    # gets the same link and a later visit a fresh one.
    minute = int(timezone.now().timestamp() // 60)
    url = gateway.onboarding_link(
        account_id=account.provider_account_id,
        refresh_url=base,
        return_url=f"{base}?done=1",
        key=f"{account.provider_account_id}-link-{minute}",
    )
    return url, account.is_ready
