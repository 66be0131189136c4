"""Payment forms (operators' refunds)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.pricing.forms import MoneyField


class RefundForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"] = MoneyField(label=_("Amount to refund"), currency=currency)
        self.order_fields(["amount", "reason"])
