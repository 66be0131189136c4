"""Sign-up and log-in forms (the site's shell)."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from marketplace.accounts.models import Role, language_for_market
from marketplace.core.forms import Form
from marketplace.pricing.forms import active_markets
from marketplace.pricing.models import Market


class SignUpForm(Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        help_text=_("Shared only with the helper who takes your job, while it is open."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    role = forms.ChoiceField(
        label=_("I want to"),
        choices=[(Role.CUSTOMER, _("Get help at home")), (Role.HELPER, _("Help people nearby"))],
        initial=Role.CUSTOMER,
        widget=forms.RadioSelect,
    )
    market = forms.ModelChoiceField(
        label=_("Country"),
        queryset=Market.objects.none(),
        required=False,
        help_text=_("Sets your language and prices if you do not choose otherwise."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=(),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.market = None
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.fields["market"].queryset = active_markets()
        self.fields["language"].choices = [
            ("", _("The language of my country")),
            *settings.LANGUAGES,
        ]
        # A language picked with the switcher (or sent by the browser) is the default choice.
        current = translation.get_language() or ""
        if current[:2] != settings.LANGUAGE_CODE and current[:2] in dict(settings.LANGUAGES):
            self.fields["language"].initial = current[:2]

    def clean(self):
        data = super().clean()
        # Not chosen: follow the market (pl → Polish, ch → German); no market: no preference.
        if not data.get("language"):
            data["language"] = language_for_market(data.get("market"))
        self.market = data.pop("market", None)  # not stored on the account; see account_market
        return data


class EmailLoginForm(AuthenticationForm):
    """Django's login form; the username *is* the e-mail address (User.USERNAME_FIELD)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "type": "email"})
