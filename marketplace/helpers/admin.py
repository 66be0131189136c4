from django.contrib import admin, messages

from marketplace.core.errors import DomainError
from marketplace.helpers import services
from marketplace.helpers.models import AvailabilitySlot, HelperProfile, HelperSkill, HelperStatus


class HelperSkillInline(admin.TabularInline):
    model = HelperSkill
    extra = 0


class AvailabilitySlotInline(admin.TabularInline):
    model = AvailabilitySlot
    extra = 0


@admin.register(HelperProfile)
class HelperProfileAdmin(admin.ModelAdmin):
    """Status changes go through the vetting actions (audited, checked), not the form."""

    list_display = ["user", "market", "city", "status", "rating", "completed_jobs", "created_at"]
    list_filter = ["status", "market", "is_available"]
    search_fields = ["user__email", "user__full_name", "city"]
    readonly_fields = [
        "status",
        "status_reason",
        "vetted_at",
        "vetted_by",
        "id_checked_at",
        "code_of_conduct_accepted_at",
        "skills_mask",
        "availability_hours",
        "active_jobs",
        "completed_jobs",
        "rating",
        "rating_count",
        "last_assigned_epoch",
    ]
    inlines = [HelperSkillInline, AvailabilitySlotInline]
    actions = ["vet", "suspend"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Keep the matching mirrors in sync with the inlines edited here.
        profile = form.instance
        services.helper_set_skills(
            profile=profile, categories=[s.category for s in profile.skills.all()]
        )
        services.helper_set_availability(
            profile=profile,
            slots=[(s.weekday, s.start_hour, s.end_hour) for s in profile.slots.all()],
        )

    @admin.action(description="Vet selected helpers (ID checked)")
    def vet(self, request, queryset):
        self._apply(request, queryset, lambda p: services.helper_vet(profile=p, actor=request.user))

    @admin.action(description="Suspend selected helpers")
    def suspend(self, request, queryset):
        self._apply(
            request,
            queryset.filter(status=HelperStatus.VETTED),
            lambda p: services.helper_suspend(
                profile=p, actor=request.user, reason="Suspended by an operator in the admin"
            ),
        )

    def _apply(self, request, queryset, action):
        done = 0
        for profile in queryset:
            try:
                action(profile)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{profile}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Updated {done} helper(s)", messages.SUCCESS)
