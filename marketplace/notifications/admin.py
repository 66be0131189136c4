from django.contrib import admin

from marketplace.notifications.models import EmailPreference, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "title", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("user__email", "title")
    raw_id_fields = ("user", "job")
    readonly_fields = ("created_at", "read_at", "emailed_at")
    date_hierarchy = "created_at"


@admin.register(EmailPreference)
class EmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "email")
    list_filter = ("kind", "email")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
