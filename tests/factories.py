"""factory_boy factories for the object graph. Coordinates default to central Zürich."""

import factory
from django.utils import timezone

from marketplace.accounts.models import Role, User
from marketplace.helpers.availability import hours_mask
from marketplace.helpers.models import HelperProfile, HelperSkill, HelperStatus
from marketplace.pricing.models import Market, ServiceCategory

ZURICH = (47.37689, 8.54169)
WARSAW = (52.22977, 21.01178)
ALL_WEEK = [(d, 0, 24) for d in range(7)]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.CUSTOMER
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OperatorFactory(UserFactory):
    role = Role.OPERATOR
    is_staff = True


def helper_profile(
    *,
    user: User | None = None,
    market: Market | None = None,
    lat: float = ZURICH[0],
    lng: float = ZURICH[1],
    skills: list[ServiceCategory] | None = None,
    status: str = HelperStatus.VETTED,
    radius_km: int = 10,
    slots=ALL_WEEK,
    **extra,
) -> HelperProfile:
    """A helper with skills and availability kept in sync with their bitmask mirrors."""
    user = user or UserFactory(role=Role.HELPER)
    if user.role != Role.HELPER:
        user.role = Role.HELPER
        user.save(update_fields=["role"])
    market = market or Market.objects.get(code="ch")
    skills = list(ServiceCategory.objects.all()) if skills is None else skills
    mask = 0
    for c in skills:
        mask |= c.mask
    now = timezone.now()
    profile = HelperProfile.objects.create(
        user=user,
        market=market,
        lat=lat,
        lng=lng,
        city=extra.pop("city", "Zürich"),
        service_radius_km=radius_km,
        status=status,
        skills_mask=mask,
        availability_hours=hours_mask(list(slots)),
        code_of_conduct_accepted_at=now,
        id_checked_at=now if status == HelperStatus.VETTED else None,
        vetted_at=now if status == HelperStatus.VETTED else None,
        **extra,
    )
    HelperSkill.objects.bulk_create([HelperSkill(helper=profile, category=c) for c in skills])
    for weekday, start, end in slots:
        profile.slots.create(weekday=weekday, start_hour=start, end_hour=end)
    return profile
