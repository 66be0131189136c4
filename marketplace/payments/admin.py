"""Money rows are written by services only: the admin shows them read-only."""

from django.contrib import admin

from marketplace.payments.models import (
    InvoiceLine,
    LedgerEntry,
    Payment,
    PayoutAccount,
    ProviderCall,
    WebhookEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LedgerInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    fields = ["created_at", "kind", "account", "amount", "currency", "movement"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CallInline(admin.TabularInline):
    model = ProviderCall
    extra = 0
    fields = ["created_at", "action", "idempotency_key", "status", "attempts", "last_error"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["job", "provider", "status", "amount", "amount_captured", "currency"]
    list_filter = ["provider", "status"]
    search_fields = ["provider_ref", "job__id"]
    inlines = [CallInline, LedgerInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "job", "kind", "account", "amount", "currency"]
    list_filter = ["kind", "account", "currency"]


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "payment", "action", "status", "attempts", "last_error"]
    list_filter = ["action", "status"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "processed_at", "error"]
    list_filter = ["type"]


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = ["helper", "provider_account_id", "charges_enabled", "payouts_enabled"]


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyAdmin):
    list_display = ["period", "reference", "customer", "kind", "amount", "currency"]
    list_filter = ["period", "kind"]
