"""The Stripe webhook endpoint: raw body, signature, store, act."""

import logging

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace.payments import gateway, webhooks

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    signature = request.headers.get("Stripe-Signature", "")
    try:
        stored, is_new = webhooks.receive(payload=request.body, signature=signature)
    except gateway.Rejected:
        log.warning("stripe webhook refused: bad signature")
        return JsonResponse({"detail": "Invalid signature", "code": "bad_signature"}, status=400)
    if not is_new and stored.processed_at is not None:
        return JsonResponse({"received": True, "replay": True})
    try:
        webhooks.process(stored)
    except gateway.Unavailable:
        # Stripe delivers again later; by then the provider should answer our re-fetch.
        return JsonResponse({"detail": "Try again later", "code": "unavailable"}, status=503)
    except gateway.GatewayError as exc:
        log.warning("stripe webhook %s failed: %s", stored.event_id, exc.message)
        return HttpResponse(status=200)  # recorded on the event; retrying would not help
    return JsonResponse({"received": True})
