from django.contrib import admin

from marketplace.jobs.models import JobEvent, JobOffer, JobRequest, Review


class JobEventInline(admin.TabularInline):
    model = JobEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "from_status", "to_status", "actor", "data", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class JobOfferInline(admin.TabularInline):
    model = JobOffer
    extra = 0
    can_delete = False
    readonly_fields = ["helper", "step", "distance_km", "status", "sent_at", "expires_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(JobRequest)
class JobRequestAdmin(admin.ModelAdmin):
    """Read-mostly: state changes belong to the service functions (audited, race-safe)."""

    list_display = ["id", "category", "market", "city", "status", "price", "currency", "created_at"]
    list_filter = ["status", "market", "category", "fulfilment"]
    search_fields = ["id", "customer__email", "city", "address"]
    date_hierarchy = "created_at"
    readonly_fields = [
        f.name
        for f in JobRequest._meta.fields
        if f.name not in ("description", "completion_note", "cancel_reason")
    ]
    inlines = [JobOfferInline, JobEventInline]

    def has_add_permission(self, request):
        return False


@admin.register(JobOffer)
class JobOfferAdmin(admin.ModelAdmin):
    list_display = ["job", "helper", "step", "status", "distance_km", "sent_at", "expires_at"]
    list_filter = ["status"]
    raw_id_fields = ["job", "helper"]


@admin.register(JobEvent)
class JobEventAdmin(admin.ModelAdmin):
    list_display = ["job", "kind", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["job", "actor"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["job", "direction", "rating", "nps", "author", "subject", "created_at"]
    list_filter = ["direction", "rating"]
    raw_id_fields = ["job", "author", "subject"]
