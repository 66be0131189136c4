from django.contrib import admin

from marketplace.pricing.models import Market, PriceBookEntry, ServiceCategory


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "bit", "typical_minutes", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


class PriceBookInline(admin.TabularInline):
    model = PriceBookEntry
    extra = 0


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "country", "currency", "commission_bps", "is_active"]
    inlines = [PriceBookInline]


@admin.register(PriceBookEntry)
class PriceBookEntryAdmin(admin.ModelAdmin):
    list_display = [
        "market",
        "category",
        "helper_fee",
        "pro_callout_fee",
        "pro_hourly_rate",
        "pro_flat_price",
        "pro_install_free",
    ]
    list_filter = ["market", "pro_install_free"]
