"""Reference data every installation needs: service categories, the Swiss and Polish markets and
their price books, from the pilots' published figures (DESIGN §5). Idempotent: safe to run again;
existing rows keep operator edits."""

from django.db import transaction

from marketplace.pricing.models import Market, PriceBookEntry, ServiceCategory

CATEGORIES = [
    # slug, name, bit, typical minutes
    ("router-wifi", "Router & Wi-Fi setup", 0, 60),
    ("tv-decoder", "TV decoder installation", 1, 60),
    ("fibre-terminal", "Fibre terminal connection", 2, 90),
    ("smart-home", "Smart-home device", 3, 60),
    ("pc-help", "PC & laptop help", 4, 90),
    ("phone-setup", "Smartphone & tablet setup", 5, 45),
]

# Names in the other shipped languages (English is the name above and the fallback). Operators
# edit them on the price pages and in the admin; migration 0005 filled them in for existing rows.
CATEGORY_NAMES = {
    "router-wifi": {
        "pl": "Konfiguracja routera i Wi-Fi",
        "de": "Router- und WLAN-Einrichtung",
        "fr": "Configuration du routeur et du Wi-Fi",
    },
    "tv-decoder": {
        "pl": "Instalacja dekodera TV",
        "de": "Installation des TV-Receivers",
        "fr": "Installation du décodeur TV",
    },
    "fibre-terminal": {
        "pl": "Podłączenie terminala światłowodowego",
        "de": "Anschluss des Glasfaser-Modems",
        "fr": "Raccordement du boîtier fibre optique",
    },
    "smart-home": {
        "pl": "Urządzenie inteligentnego domu",
        "de": "Smart-Home-Gerät",
        "fr": "Appareil de maison connectée",
    },
    "pc-help": {
        "pl": "Pomoc z komputerem i laptopem",
        "de": "Hilfe bei PC und Laptop",
        "fr": "Aide pour PC et ordinateur portable",
    },
    "phone-setup": {
        "pl": "Konfiguracja smartfona i tabletu",
        "de": "Einrichtung von Smartphone und Tablet",
        "fr": "Configuration de smartphone et tablette",
    },
}
MARKET_NAMES = {
    "ch": {"pl": "Szwajcaria", "de": "Schweiz", "fr": "Suisse"},
    "pl": {"pl": "Polska", "de": "Polen", "fr": "Pologne"},
}

MARKETS = {
    # Swisscom: helpers CHF 30–100 a job; technician CHF 80 call-out + CHF 140/h.
    "ch": dict(
        name="Switzerland",
        country="CH",
        currency="CHF",
        language="de",
        time_zone="Europe/Zurich",
        commission_bps=2000,
        fixed_cost_per_month=800_000,
        cancellation_free_minutes=60,
        cancellation_fee=2_000,
        dispatch_k=3,
        offer_deadline_minutes=15,
        radius_steps_km="2,5,10,25",
        max_radius_km=25,
    ),
    # Orange Polska "Friends": professional installation often free; small ISPs 100–150 zł/h
    # + 20–30 zł call-out.
    "pl": dict(
        name="Poland",
        country="PL",
        currency="PLN",
        language="pl",
        time_zone="Europe/Warsaw",
        commission_bps=1500,
        fixed_cost_per_month=1_500_000,
        cancellation_free_minutes=60,
        cancellation_fee=2_000,
        dispatch_k=3,
        offer_deadline_minutes=15,
        radius_steps_km="2,5,10,25",
        max_radius_km=25,
    ),
}

# market, category: helper fee, min, max, call-out, hourly, minutes, install free (minor units)
PRICES = {
    ("ch", "router-wifi"): (6_000, 3_000, 10_000, 8_000, 14_000, 60, False),
    ("ch", "tv-decoder"): (5_000, 3_000, 10_000, 8_000, 14_000, 60, False),
    ("ch", "fibre-terminal"): (8_000, 4_000, 10_000, 8_000, 14_000, 60, False),
    ("ch", "smart-home"): (7_000, 3_000, 10_000, 8_000, 14_000, 60, False),
    ("ch", "pc-help"): (9_000, 4_000, 10_000, 8_000, 14_000, 90, False),
    ("ch", "phone-setup"): (4_000, 3_000, 8_000, 8_000, 14_000, 45, False),
    ("pl", "router-wifi"): (6_000, 4_000, 15_000, 2_500, 12_500, 60, True),
    ("pl", "tv-decoder"): (6_000, 4_000, 15_000, 2_500, 12_500, 60, True),
    ("pl", "fibre-terminal"): (8_000, 5_000, 15_000, 2_500, 12_500, 60, True),
    ("pl", "smart-home"): (8_000, 5_000, 15_000, 3_000, 15_000, 60, False),
    ("pl", "pc-help"): (10_000, 6_000, 20_000, 3_000, 15_000, 90, False),
    ("pl", "phone-setup"): (5_000, 3_000, 10_000, 2_000, 10_000, 45, False),
}


@transaction.atomic
def ensure_reference_data() -> None:
    categories = {}
    for slug, name, bit, minutes in CATEGORIES:
        categories[slug], _ = ServiceCategory.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "names": dict(CATEGORY_NAMES.get(slug, {})),
                "bit": bit,
                "typical_minutes": minutes,
            },
        )
    markets = {}
    for code, fields in MARKETS.items():
        markets[code], _ = Market.objects.get_or_create(
            code=code, defaults={**fields, "names": dict(MARKET_NAMES.get(code, {}))}
        )
    for (code, slug), (fee, lo, hi, callout, hourly, minutes, free) in PRICES.items():
        PriceBookEntry.objects.get_or_create(
            market=markets[code],
            category=categories[slug],
            defaults=dict(
                helper_fee=fee,
                min_helper_fee=lo,
                max_helper_fee=hi,
                pro_callout_fee=callout,
                pro_hourly_rate=hourly,
                pro_expected_minutes=minutes,
                pro_install_free=free,
            ),
        )
