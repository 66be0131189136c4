from django.contrib import admin

from marketplace.supply.models import SupplyDemandStat, SupplyRefreshRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Derived figures: recomputed by supply_refresh, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SupplyDemandStat)
class SupplyDemandStatAdmin(ReadOnlyAdmin):
    list_display = [
        "period",
        "market",
        "category",
        "cell_y",
        "cell_x",
        "requests_posted",
        "jobs_accepted",
        "active_helpers",
        "median_accept_seconds",
    ]
    list_filter = ["market", "category", "cell_km"]
    date_hierarchy = "period"


@admin.register(SupplyRefreshRun)
class SupplyRefreshRunAdmin(ReadOnlyAdmin):
    list_display = ["ran_at", "incremental", "days_recomputed", "rows_written", "duration_ms"]
