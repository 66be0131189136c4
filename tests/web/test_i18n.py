"""Languages, money and time (issue 6 part 5): translated pages, the language switcher and the
user's stored language, the shipped catalogues, money per market, times on the market's clock."""

import ast
import gettext as gnu_gettext
import re
import shutil
import subprocess
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.accounts.language import language_for_user
from marketplace.accounts.models import User, language_for_market
from marketplace.core.money import format_money
from marketplace.jobs import services
from tests.factories import UserFactory

LOCALE = Path(settings.BASE_DIR) / "locale"
SHIPPED = ("pl", "de", "fr")
# Pages every customer and helper sees: these msgids must be translated in every language.
CUSTOMER_AND_HELPER_SOURCES = (
    "templates/base.html",
    "templates/home.html",
    "templates/quote.html",
    "templates/auth/",
    "templates/account/",
    "templates/customer/",
    "templates/helper/",
    "templates/partials/",
    "marketplace/web/forms.py",
    "marketplace/core/forms.py",
    "marketplace/jobs/forms.py",
    "marketplace/helpers/forms.py",
    "marketplace/jobs/models.py",
)
ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture(autouse=True)
def _english_afterwards():
    """Requests here activate other languages in this thread; leave English for later tests."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


# --- A small .po reader (no third-party dependency) ---------------------------------------------


def read_po(path: Path) -> list[dict]:
    """Entries with msgid, msgid_plural, msgstr (or msgstr[n] list), flags and source refs."""
    entries, current, field = [], None, None

    def flush():
        if current and current.get("msgid") is not None:
            entries.append(current)

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            flush()
            current, field = None, None
            continue
        if current is None:
            current = {"flags": set(), "refs": [], "msgstr_n": {}, "msgid_plural": None}
        if line.startswith("#,"):
            current["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#:"):
            current["refs"].extend(ref.split(":")[0] for ref in line[2:].split())
        elif line.startswith("#"):
            continue
        else:
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr\[(\d+)\]|msgstr) (".*")$', line)
            if match:
                field = match.group(1)
                value = ast.literal_eval(match.group(3))
            else:
                value = ast.literal_eval(line)
            if field.startswith("msgstr["):
                index = int(field[7:-1])
                current["msgstr_n"][index] = current["msgstr_n"].get(index, "") + value
            else:
                current[field] = current.get(field, "") + value if match is None else value
    return entries


def messages(lang: str) -> list[dict]:
    return [e for e in read_po(LOCALE / lang / "LC_MESSAGES" / "django.po") if e["msgid"]]


def is_translated(entry: dict) -> bool:
    if "fuzzy" in entry["flags"]:
        return False
    if entry["msgid_plural"] is not None:
        return bool(entry["msgstr_n"]) and all(entry["msgstr_n"].values())
    return bool(entry.get("msgstr"))


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\([a-z_]+\)[sd]", text))


# --- Catalogues -------------------------------------------------------------------------------


def test_polish_is_complete_no_empty_and_no_fuzzy_message():
    entries = messages("pl")
    assert len(entries) > 300
    missing = [e["msgid"] for e in entries if not is_translated(e)]
    assert missing == []


def test_polish_plurals_have_all_four_forms():
    plurals = [e for e in messages("pl") if e["msgid_plural"] is not None]
    assert plurals
    for entry in plurals:
        assert sorted(entry["msgstr_n"]) == [0, 1, 2, 3], entry["msgid"]


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_german_and_french_cover_the_customer_and_helper_pages(lang):
    entries = messages(lang)
    assert not [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    facing = [
        e for e in entries if any(r.startswith(CUSTOMER_AND_HELPER_SOURCES) for r in e["refs"])
    ]
    assert len(facing) > 100
    assert [e["msgid"] for e in facing if not is_translated(e)] == []


@pytest.mark.parametrize("lang", ["de", "fr"])
def test_german_and_french_are_complete_operator_pages_included(lang):
    """Every message, the operator pages (prices, supply, economics, vetting) included: no empty
    msgstr, no empty plural form, nothing fuzzy, and as many messages as the Polish catalogue."""
    entries = messages(lang)
    assert [e["msgid"] for e in entries if not is_translated(e)] == []
    assert len(entries) == len(messages("pl"))
    operator = [e for e in entries if any(r.startswith("templates/operator/") for r in e["refs"])]
    assert len(operator) > 200
    for entry in entries:
        if entry["msgid_plural"] is not None:
            assert sorted(entry["msgstr_n"]) == [0, 1], entry["msgid"]


@pytest.mark.parametrize("lang", SHIPPED)
def test_translations_keep_every_placeholder(lang):
    for entry in messages(lang):
        if not is_translated(entry):
            continue
        expected = placeholders(entry["msgid"]) | placeholders(entry["msgid_plural"] or "")
        texts = entry["msgstr_n"].values() if entry["msgid_plural"] else [entry["msgstr"]]
        for text in texts:
            # A singular form may leave the count out ("1 job" → "jedno zlecenie"), no more.
            assert placeholders(text) <= expected, (entry["msgid"], text)
            if not entry["msgid_plural"]:
                assert placeholders(text) == expected, (entry["msgid"], text)


@pytest.mark.parametrize("lang", SHIPPED)
def test_committed_mo_matches_its_po(lang):
    """The compiled catalogue is committed (machines without gettext serve it as is), so it
    must hold exactly what the .po says — i.e. compilemessages was run after the last edit."""
    po = LOCALE / lang / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"run: manage.py compilemessages -l {lang}"
    with mo.open("rb") as handle:
        catalog = gnu_gettext.GNUTranslations(handle)._catalog
    for entry in messages(lang):
        if not is_translated(entry):
            continue
        key = (
            entry["msgid"]
            if not entry.get("msgctxt")
            else f"{entry['msgctxt']}\x04{entry['msgid']}"
        )
        if entry["msgid_plural"] is None:
            assert catalog.get(key) == entry["msgstr"], f"{lang}: stale .mo for {key!r}"
        else:
            for index, text in entry["msgstr_n"].items():
                assert catalog.get((key, index)) == text, f"{lang}: stale .mo for {key!r}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize("lang", SHIPPED)
def test_po_compiles_with_format_checks(lang, tmp_path):
    po = LOCALE / lang / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(tmp_path / "django.mo"), str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- Pages in the visitor's or the user's language --------------------------------------------


@pytest.mark.django_db
def test_accept_language_polish_shows_the_home_page_in_polish(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="pl")
    html = response.content.decode()
    assert '<html lang="pl">' in html
    assert "Pomoc z domową techniką od sprawdzonego sąsiada" in html
    assert "Zaloguj się" in html


@pytest.mark.django_db
def test_english_stays_the_default(client):
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html
    assert "Help with your home tech, from a vetted neighbour" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "text"),
    [("de", "Hilfe für Ihre Haustechnik"), ("fr", "De l’aide pour votre technique à la maison")],
)
def test_german_and_french_home_pages(client, lang, text):
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert f'<html lang="{lang}">' in html
    assert text in html


@pytest.mark.django_db
def test_the_users_stored_language_wins_over_the_browser(client, reference):
    user = UserFactory(email="ola@example.com", language="pl")
    client.force_login(user)
    html = client.get(reverse("customer:jobs"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Moje zlecenia" in html
    assert "Nie prosiłeś(-aś) jeszcze o pomoc." in html


@pytest.mark.django_db
def test_a_user_without_a_stored_language_follows_the_browser(client, alice):
    assert alice.language == ""  # factories store none: the existing English tests stay English
    client.force_login(alice)
    assert "My jobs" in client.get(reverse("customer:jobs")).content.decode()
    polish = client.get(reverse("customer:jobs"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Moje zlecenia" in polish


@pytest.mark.django_db
def test_the_footer_has_a_language_switcher_that_works_without_javascript(client):
    html = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert '<label for="language-select">' in html
    assert '<option value="pl" lang="pl"' in html
    response = client.post(reverse("set_language"), {"language": "pl", "next": "/"})
    assert response.status_code == 302
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="pl">' in html
    assert "Zmień język" in html


@pytest.mark.django_db
def test_switching_language_while_logged_in_is_saved_on_the_account(client, alice):
    client.force_login(alice)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "fr"
    assert language_for_user(alice) == "fr"


@pytest.mark.django_db
def test_account_page_changes_the_language(client, alice):
    client.force_login(alice)
    response = client.post(reverse("account"), {"language": "de"}, follow=True)
    alice.refresh_from_db()
    assert alice.language == "de"
    assert "Ihre Einstellungen sind gespeichert." in response.content.decode()
    client.post(reverse("account"), {"language": ""})
    alice.refresh_from_db()
    assert alice.language == ""


@pytest.mark.django_db
def test_login_activates_the_stored_language(client, reference):
    UserFactory(email="jan@example.com", password="a-long-password-1", language="pl")
    response = client.post(
        reverse("login"),
        {"username": "jan@example.com", "password": "a-long-password-1"},
        follow=True,
    )
    assert '<html lang="pl">' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("market", "chosen", "expected"),
    [("pl", "", "pl"), ("ch", "", "de"), ("ch", "fr", "fr"), ("", "", ""), ("pl", "en", "en")],
)
def test_signup_language_follows_the_market_unless_chosen(
    client, reference, market, chosen, expected
):
    from marketplace.pricing.models import Market

    data = {
        "role": "customer",
        "full_name": "New Person",
        "email": "new@example.com",
        "password": "a-long-password-1",
        "language": chosen,
        "market": Market.objects.get(code=market).pk if market else "",
    }
    response = client.post(reverse("signup"), data)
    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").language == expected


def test_market_default_languages():
    assert language_for_market("pl") == "pl"
    assert language_for_market("ch") == "de"
    assert language_for_market(None) == ""


# --- Python strings, errors, notifications ------------------------------------------------------


@pytest.mark.django_db
def test_status_labels_and_form_labels_are_translated(reference):
    from marketplace.jobs.forms import JobRequestForm
    from marketplace.jobs.models import JobStatus

    with translation.override("pl"):
        assert str(JobStatus.OPEN.label) == "Szukamy pomocnika"
        assert JobRequestForm().fields["description"].label == "Opisz problem"
    with translation.override("en"):
        assert str(JobStatus.OPEN.label) == "Looking for a helper"


def test_domain_error_messages_are_translated_but_codes_stay():
    from marketplace.core.errors import ValidationFailed

    error = ValidationFailed("Enter a valid e-mail address")
    with translation.override("pl"):
        assert error.message == "Podaj prawidłowy adres e-mail"
    assert error.code == "invalid"
    with translation.override("en"):
        assert error.message == "Enter a valid e-mail address"


@pytest.mark.django_db
def test_notifications_are_written_in_the_recipients_language(reference, bob, router_wifi):
    pytest.importorskip("marketplace.notifications.models")
    from marketplace.notifications.models import Notification

    customer = UserFactory(email="zofia@example.com", language="pl")
    job = services.job_post(
        customer=customer,
        category=router_wifi,
        description="Router ciągle zrywa połączenie",
        address=ADDRESS,
    )
    services.job_accept(job=job, helper=bob)
    note = Notification.objects.filter(user=customer).order_by("-pk").first()
    assert note is not None
    assert "przyjął" in note.title
    english = Notification.objects.filter(user=bob).order_by("-pk").first()
    if english is not None:
        assert "Nowa" not in english.title


# --- Money per market ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (123450, "PLN", "1 234,50 zł"),
        (123450, "CHF", "CHF 1'234.50"),
        (100000000, "PLN", "1 000 000,00 zł"),
        (99, "CHF", "CHF 0.99"),
        (-5050, "PLN", "−50,50 zł"),
    ],
)
def test_money_is_formatted_by_the_markets_currency(amount, currency, expected):
    assert format_money(amount, currency) == expected


def test_money_format_does_not_depend_on_the_page_language():
    template = Template(
        "{% load money %}{% autoescape off %}{{ amount|money:currency }}{% endautoescape %}"
    )
    for lang in ("en", "pl", "de", "fr"):
        with translation.override(lang):
            assert template.render(Context({"amount": 123450, "currency": "PLN"})) == "1 234,50 zł"
            assert template.render(Context({"amount": 123450, "currency": "CHF"})) == (
                "CHF 1'234.50"
            )


def test_money_takes_integer_minor_units_only():
    with pytest.raises((TypeError, ValueError)):
        format_money("12.5", "CHF")


def test_distance_text_is_translated():
    from marketplace.web.templatetags.money import approx_km

    with translation.override("pl"):
        assert approx_km(0.4) == "poniżej 1 km"
        assert approx_km(3.2) == "około 3 km"


# --- Times on the market's clock ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_at_nine_in_zurich_shows_nine_not_utc(client, alice, router_wifi, settings):
    settings.TIME_ZONE = "UTC"  # the server clock must not matter
    zurich = ZoneInfo("Europe/Zurich")
    tomorrow = (timezone.now() + timedelta(days=1)).astimezone(zurich).date()
    start = datetime.combine(tomorrow, time(9, 0), tzinfo=zurich)
    utc_hour = start.astimezone(UTC).strftime("%H:%M")  # 08:00 in winter, 07:00 in summer
    job = services.job_post(
        customer=alice,
        category=router_wifi,
        description="The router keeps dropping the connection",
        address=ADDRESS,
        window_start=start,
        window_end=start + timedelta(hours=4),
    )
    assert job.market.time_zone == "Europe/Zurich"
    client.force_login(alice)
    html = client.get(reverse("customer:job", args=[job.pk])).content.decode()
    assert ", 09:00 – " in html and ", 13:00</dd>" in html
    assert f", {utc_hour} – " not in html
    polish = client.get(
        reverse("customer:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="pl"
    ).content.decode()
    assert ", 09:00 – " in polish


# --- The operator economics dashboard -----------------------------------------------------------


@pytest.mark.django_db
def test_economics_dashboard_in_polish_for_a_polish_operator(client, pl):
    """Headings, cards, the verdict and the charts' SVG text (titles, axes, the empty-chart
    message) follow the operator's stored language; months are abbreviated in Polish."""
    from tests.factories import OperatorFactory

    client.force_login(OperatorFactory(email="ola.operator@example.com", language="pl"))
    response = client.get(reverse("operator:economics"), {"market": "pl"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="pl">' in html
    # Headings of the chart sections and the cards
    assert '<h2 id="funnel-heading">Lejek tygodniowy</h2>' in html
    assert '<h2 id="map-heading">Popyt i podaż według obszaru</h2>' in html
    assert "Potwierdzone zlecenia na tle progu rentowności</h2>" in html
    assert "<dt>Złożone zgłoszenia</dt>" in html and "<dt>Próg rentowności</dt>" in html
    # The verdict, in words
    verdict = response.context["verdict"]
    assert verdict.headline == "Brak zgłoszeń w tym okresie: nie ma jeszcze czego oceniać."
    assert verdict.headline in html
    # Chart titles and the empty-chart message inside the SVG
    assert (
        '<title id="funnel-chart-title">Lejek tygodniowy: zgłoszenia złożone, przyjęte i '
        "potwierdzone oraz odsetek przyjętych w ciągu 1 h</title>"
    ) in html
    assert "Potwierdzone zlecenia miesięcznie na tle progu rentowności</title>" in html
    assert "Brak danych za ten okres" in html
    # Table captions and headers
    assert '<th scope="col">Tydzień od</th>' in html
    for english in ("Weekly funnel", "Requests posted", "No data for this period", "Break-even"):
        assert english not in html, english


def test_economics_verdict_and_charts_in_polish_with_figures():
    """Plural forms of the wording and a chart built from figures, in Polish."""
    from marketplace.economics import charts
    from marketplace.economics.metrics import MonthRow
    from marketplace.economics.verdict import jobs_a_month

    months = [
        MonthRow(month=datetime(2026, m, 1).date(), confirmed=n, net_revenue=0, break_even_jobs=10)
        for m, n in ((3, 12), (4, 8))
    ]
    with translation.override("pl"):
        assert [jobs_a_month(n) for n in (1, 3, 5)] == [
            "1 zlecenie miesięcznie",
            "3 zlecenia miesięcznie",
            "5 zleceń miesięcznie",
        ]
        svg = charts.break_even_chart(months, break_even=10, chart_id="be")
        assert "Potwierdzone zlecenia miesięcznie na tle progu rentowności</title>" in svg
        assert "Próg rentowności: 10 zleceń miesięcznie" in svg
        assert ">Mar<" in svg and ">Kwi<" in svg  # month abbreviations in Polish
        assert "osiągnięty lub przekroczony w 1 z 2 miesięcy" in svg
    with translation.override("en"):
        assert jobs_a_month(1) == "1 job a month"
        assert "1 of 2 months at or above it" in charts.break_even_chart(
            months, break_even=10, chart_id="be"
        )


@pytest.mark.django_db
def test_status_labels_of_helpers_and_payments_are_translated():
    from marketplace.helpers.models import HelperStatus, Weekday
    from marketplace.payments.models import PaymentStatus

    with translation.override("pl"):
        assert str(PaymentStatus.CAPTURED.label) == "Opłacona"
        assert str(Weekday.MONDAY.label) == "Poniedziałek"
    with translation.override("de"):
        assert str(HelperStatus.VETTED.label) == "Geprüft"
    with translation.override("en"):
        assert str(PaymentStatus.CAPTURED.label) == "Paid"
