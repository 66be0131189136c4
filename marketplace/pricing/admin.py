"""Admin for categories, markets and the price book. Edits to existing markets and entries go
through the pricing services (source "admin"), so they land in the price history like web and API
edits; the history itself is read-only here. Price-book entries cannot be deleted in the admin:
deleting one would delete its history with it."""

from django import forms
from django.contrib import admin

from marketplace.pricing.bounds import parse_radius_steps
from marketplace.pricing.models import (
    Market,
    PriceBookEntry,
    PriceChange,
    ServiceCategory,
    name_languages,
)
from marketplace.pricing.services import (
    ENTRY_EDITABLE,
    MARKET_EDITABLE,
    market_update,
    price_entry_update,
)


def name_field(code: str) -> str:
    return f"name_{code}"


class TranslatedNamesForm(forms.ModelForm):
    """A text field per shipped language (name_pl, name_de, name_fr) for the `names` JSON of a
    category or market; empty means "use the English name". (No Meta: the ModelAdmin supplies
    the model and fields.)"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = self.instance.names or {}
        for code, _label in name_languages():
            self.initial.setdefault(name_field(code), names.get(code, ""))

    def translated_names(self) -> dict[str, str]:
        names = {
            k: v for k, v in (self.instance.names or {}).items() if k not in dict(name_languages())
        }
        for code, _label in name_languages():
            value = (self.cleaned_data.get(name_field(code)) or "").strip()
            if value:
                names[code] = value
        return names

    def _post_clean(self):
        super()._post_clean()
        self.instance.names = self.translated_names()

    @property
    def changed_data(self):
        changed = super().changed_data
        if any(name_field(code) in changed for code, _label in name_languages()):
            changed = [*changed, "names"]
        return changed


# Declared on the class (the admin lays out base_fields), one per shipped language.
for _code, _label in name_languages():
    TranslatedNamesForm.base_fields[name_field(_code)] = forms.CharField(
        label=f"Name ({_label})",
        max_length=100,
        required=False,
        help_text="Empty: the English name is shown.",
    )
    TranslatedNamesForm.declared_fields[name_field(_code)] = TranslatedNamesForm.base_fields[
        name_field(_code)
    ]

NAME_FIELDS = ["name", *(name_field(code) for code, _label in name_languages())]


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    form = TranslatedNamesForm
    list_display = ["name", "slug", "bit", "typical_minutes", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    fields = [*NAME_FIELDS, "slug", "description", "bit", "typical_minutes", "is_active"]


class ReasonForm(forms.ModelForm):
    """The admin form of a priced object, plus the reason recorded with the change. (No Meta:
    the ModelAdmin supplies the model and fields.)"""

    change_reason = forms.CharField(
        label="Reason for the change",
        max_length=300,
        required=False,
        help_text="Kept in the price history with each changed price or setting.",
    )


class MarketAdminForm(TranslatedNamesForm, ReasonForm):
    def clean_radius_steps_km(self) -> str:
        # The same rule market_update enforces, checked here so a mistake is a form error.
        value = self.cleaned_data["radius_steps_km"]
        try:
            parse_radius_steps(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value


def save_through_service(*, request, obj, form, editable, update, target: str, reason: str):
    """Save an edited object: fields the service owns go through it (validated, recorded);
    other changed fields (a market's name, say) are saved as they are."""
    concrete = {f.name for f in obj._meta.concrete_fields if not f.primary_key}
    changed = [name for name in form.changed_data if name in concrete]
    other = [name for name in changed if name not in editable]
    if other:
        obj.save(update_fields=other)
    changes = {name: getattr(obj, name) for name in changed if name in editable}
    if changes:
        update(**{target: obj}, actor=request.user, source="admin", reason=reason, **changes)
        obj.refresh_from_db()


class PriceBookInline(admin.TabularInline):
    model = PriceBookEntry
    extra = 0
    can_delete = False


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    form = MarketAdminForm
    list_display = ["name", "code", "country", "currency", "commission_bps", "is_active"]
    exclude = ["names"]  # edited as one field per language (TranslatedNamesForm)
    inlines = [PriceBookInline]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        save_through_service(
            request=request,
            obj=obj,
            form=form,
            editable=MARKET_EDITABLE,
            update=market_update,
            target="market",
            reason=form.cleaned_data.get("change_reason", ""),
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not PriceBookEntry:
            return super().save_formset(request, form, formset, change)
        # commit=False fills new_objects/changed_objects (used for the admin's change message)
        # without saving anything; new rows are then saved plainly, changed ones via the service.
        formset.save(commit=False)
        for entry in formset.new_objects:
            entry.save()
        changed_pks = {entry.pk for entry, _fields in formset.changed_objects}
        for entry_form in formset.initial_forms:
            if entry_form.instance.pk not in changed_pks:
                continue
            save_through_service(
                request=request,
                obj=entry_form.instance,
                form=entry_form,
                editable=ENTRY_EDITABLE,
                update=price_entry_update,
                target="entry",
                reason=form.cleaned_data.get("change_reason", ""),
            )


@admin.register(PriceBookEntry)
class PriceBookEntryAdmin(admin.ModelAdmin):
    form = ReasonForm
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

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        save_through_service(
            request=request,
            obj=obj,
            form=form,
            editable=ENTRY_EDITABLE,
            update=price_entry_update,
            target="entry",
            reason=form.cleaned_data.get("change_reason", ""),
        )


@admin.register(PriceChange)
class PriceChangeAdmin(admin.ModelAdmin):
    """The price history: read-only, written only by the pricing services."""

    list_display = [
        "changed_at",
        "market",
        "entry",
        "field",
        "old_value",
        "new_value",
        "changed_by",
        "source",
        "reason",
    ]
    list_filter = ["market", "field", "source"]
    list_select_related = ["market", "entry__market", "entry__category", "changed_by"]
    search_fields = ["reason", "changed_by__email"]
    date_hierarchy = "changed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
