"""Names per language for categories and markets (issue 12 item 12): a `names` JSON object
({"pl": ..., "de": ..., "fr": ...}) beside the English `name`, filled in here for the reference
categories and markets when they have none yet (an operator's own names are kept). The names are
copied, not imported from pricing/reference.py, so this migration means the same thing later."""

from django.db import migrations, models

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


def fill_names(apps, schema_editor):
    for model, key, table in (
        (apps.get_model("pricing", "ServiceCategory"), "slug", CATEGORY_NAMES),
        (apps.get_model("pricing", "Market"), "code", MARKET_NAMES),
    ):
        for row in model.objects.filter(**{f"{key}__in": list(table)}):
            names = {**table[getattr(row, key)], **(row.names or {})}
            if names != row.names:
                row.names = names
                row.save(update_fields=["names"])


class Migration(migrations.Migration):
    dependencies = [
        ("pricing", "0004_bounded_prices_and_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="market",
            name="names",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='Names in other languages, e.g. {"pl": "Polska", "de": "Polen"}',
            ),
        ),
        migrations.AddField(
            model_name="servicecategory",
            name="names",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='Names in other languages, e.g. {"pl": "Polska", "de": "Polen"}',
            ),
        ),
        migrations.RunPython(fill_names, migrations.RunPython.noop),
    ]
