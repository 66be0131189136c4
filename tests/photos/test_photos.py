"""Photos on a job (issue 6 part 3): request photos by the customer, completion photos by the
assigned helper. The content is checked with Pillow, size and count are bounded, EXIF (GPS) is
removed, and photos are served only to the customer, the assigned helper and operators."""

import random
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import ExifTags, Image

from marketplace.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from marketplace.jobs import services
from marketplace.photos.models import JobPhoto
from marketplace.photos.services import photo_add
from tests.factories import posted_job

pytestmark = pytest.mark.django_db

ADDRESS = "Bahnhofstrasse 1, 8001 Zürich"


@pytest.fixture(autouse=True)
def photo_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PHOTO_ROOT = tmp_path / "photos"
    return settings.PHOTO_ROOT


def image_bytes(fmt="JPEG", size=(64, 48), *, gps=False, noise=False) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    if noise:
        img = Image.frombytes("RGB", size, random.Random(1).randbytes(3 * size[0] * size[1]))
    buf = BytesIO()
    kwargs = {}
    if gps:
        exif = Image.Exif()
        exif[ExifTags.Base.Make] = "SpyCam"
        exif[ExifTags.Base.Orientation] = 6  # rotated: the clean photo must come out upright
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (47.0, 22.0, 36.8)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (8.0, 32.0, 30.1)
        kwargs["exif"] = exif
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def job(alice, bob, carol):
    """Alice's router job at ADDRESS, offered to the helpers in range (bob, carol)."""
    return posted_job(customer=alice)


@pytest.fixture
def accepted(job, bob):
    return services.job_accept(job=job, helper=bob)


@pytest.fixture
def photo(job, alice):
    return photo_add(job=job, user=alice, kind="request", upload=upload(image_bytes()))


def api_upload(api, job, data, *, kind="request", name="photo.jpg", content_type="image/jpeg"):
    return api.client.post(
        f"/api/jobs/{job.pk}/photos",
        {"kind": kind, "image": upload(data, name, content_type)},
        headers=api.headers,
    )


# --- Validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_jpeg_png_and_webp_are_accepted(job, alice, api_as, fmt, content_type):
    resp = api_upload(api_as(alice), job, image_bytes(fmt), name=f"a.{fmt.lower()}")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["kind"], body["content_type"], body["width"], body["height"]) == (
        "request",
        content_type,
        64,
        48,
    )
    photo = JobPhoto.objects.get()
    assert photo.size == body["size"] > 0
    assert photo.image.name.endswith("." + {"JPEG": "jpg"}.get(fmt, fmt.lower()))


def test_a_text_file_named_jpg_is_refused_with_a_message(job, alice, api_as):
    resp = api_upload(api_as(alice), job, b"just some text, not a photo\n" * 20, name="cat.jpg")
    assert resp.status_code == 422
    assert resp.json()["detail"] == "Upload a JPEG, PNG or WebP image."
    assert not JobPhoto.objects.exists()


def test_a_gif_or_a_truncated_jpeg_is_refused_never_a_500(job, alice, api_as):
    api = api_as(alice)
    assert api_upload(api, job, image_bytes("GIF"), name="a.gif").status_code == 422
    truncated = image_bytes(size=(400, 300), noise=True)[:600]
    assert api_upload(api, job, truncated).status_code == 422
    assert api_upload(api, job, b"").status_code in (400, 422)
    assert not JobPhoto.objects.exists()


def test_a_too_large_image_is_refused_with_a_message(job, alice, api_as, settings):
    settings.PHOTO_MAX_BYTES = 10_000
    big = image_bytes("PNG", size=(200, 200), noise=True)
    assert len(big) > 10_000
    resp = api_upload(api_as(alice), job, big, name="big.png")
    assert resp.status_code == 422
    assert "too large" in resp.json()["detail"]
    assert not JobPhoto.objects.exists()


def test_the_real_limit_is_five_megabytes(settings):
    assert settings.PHOTO_MAX_BYTES == 5 * 1024 * 1024


def test_at_most_six_photos_per_kind(job, alice, api_as):
    api = api_as(alice)
    for _ in range(6):
        assert api_upload(api, job, image_bytes()).status_code == 201
    resp = api_upload(api, job, image_bytes())
    assert resp.status_code == 422
    assert "at most 6" in resp.json()["detail"]
    assert JobPhoto.objects.count() == 6


def test_exif_and_gps_are_removed_and_the_photo_stays_upright(job, alice):
    data = image_bytes(size=(64, 48), gps=True)
    assert b"SpyCam" in data
    with Image.open(BytesIO(data)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    photo = photo_add(job=job, user=alice, kind="request", upload=upload(data))
    stored = photo.image.read()
    assert b"SpyCam" not in stored and b"Exif" not in stored
    with Image.open(BytesIO(stored)) as clean:
        assert clean.format == "JPEG"
        assert dict(clean.getexif()) == {}
        assert clean.size == (48, 64)  # orientation 6 applied, then dropped
    assert (photo.width, photo.height) == (48, 64)


# --- Who adds what, when -----------------------------------------------------------------------


def test_customer_adds_request_photos_while_open_or_assigned_not_after(accepted, alice, bob):
    photo_add(job=accepted, user=alice, kind="request", upload=upload(image_bytes()))
    job = services.job_check_in(job=accepted, helper=bob)
    job = services.job_complete(job=job, helper=bob)
    with pytest.raises(InvalidTransition):
        photo_add(job=job, user=alice, kind="request", upload=upload(image_bytes()))


def test_the_assigned_helper_adds_completion_photos_and_nobody_else(accepted, alice, bob, carol):
    with pytest.raises(InvalidTransition):  # not started yet
        photo_add(job=accepted, user=bob, kind="completion", upload=upload(image_bytes()))
    job = services.job_check_in(job=accepted, helper=bob)
    photo_add(job=job, user=bob, kind="completion", upload=upload(image_bytes()))
    job = services.job_complete(job=job, helper=bob)
    photo_add(job=job, user=bob, kind="completion", upload=upload(image_bytes()))
    for user, kind in ((alice, "completion"), (carol, "completion"), (bob, "request")):
        with pytest.raises(NotAllowed):
            photo_add(job=job, user=user, kind=kind, upload=upload(image_bytes()))
    with pytest.raises(ValidationFailed):
        photo_add(job=job, user=bob, kind="selfie", upload=upload(image_bytes()))
    assert JobPhoto.objects.filter(kind="completion").count() == 2


def test_customer_uploads_from_the_job_page_form(job, alice, client):
    client.force_login(alice)
    page = client.get(reverse("customer:job", args=[job.pk]))
    assert 'enctype="multipart/form-data"' in page.text
    resp = client.post(
        reverse("customer:photos", args=[job.pk]), {"image": upload(image_bytes())}, follow=True
    )
    assert resp.status_code == 200
    photo = JobPhoto.objects.get()
    assert reverse("job_photo", args=[photo.pk]) in resp.text


def test_a_bad_upload_on_the_web_is_an_error_message(job, alice, client):
    client.force_login(alice)
    resp = client.post(
        reverse("customer:photos", args=[job.pk]),
        {"image": upload(b"not an image", "evil.jpg")},
        follow=True,
    )
    assert resp.status_code == 200
    assert "Upload a JPEG, PNG or WebP image." in resp.text
    assert not JobPhoto.objects.exists()


def test_helper_uploads_completion_photos_from_the_job_page(accepted, bob, client):
    job = services.job_check_in(job=accepted, helper=bob)
    client.force_login(bob)
    page = client.get(reverse("helper:job", args=[job.pk]))
    assert reverse("helper:photos", args=[job.pk]) in page.text
    resp = client.post(reverse("helper:photos", args=[job.pk]), {"image": upload(image_bytes())})
    assert resp.status_code == 302
    assert JobPhoto.objects.get().kind == "completion"


# --- Access to the files ------------------------------------------------------------------------


def test_photos_are_stored_outside_media_root(photo, photo_root, settings):
    assert (photo_root / photo.image.name).is_file()
    assert not (settings.MEDIA_ROOT / photo.image.name).exists()
    with pytest.raises(ValueError):
        photo.image.url  # noqa: B018 - no public URL exists


@pytest.mark.parametrize(("who", "status"), [("alice", 200), ("olga", 200), ("mallory", 404)])
def test_the_photo_view_serves_only_the_customer_and_operators_before_acceptance(
    photo, who, status, request, client
):
    client.force_login(request.getfixturevalue(who))
    resp = client.get(reverse("job_photo", args=[photo.pk]))
    assert resp.status_code == status
    if status == 200:
        assert resp["Content-Type"] == "image/jpeg"
        assert resp["X-Content-Type-Options"] == "nosniff"
        assert b"".join(resp.streaming_content)[:2] == b"\xff\xd8"


def test_helpers_see_photos_only_once_assigned(photo, job, bob, carol, client, api_as):
    # Bob sees the job in his feed, but its photos can show where the customer lives.
    client.force_login(bob)
    assert client.get(reverse("job_photo", args=[photo.pk])).status_code == 404
    assert api_as(bob).get(f"/api/jobs/{job.pk}/photos").status_code == 404
    job = services.job_accept(job=job, helper=bob)
    assert client.get(reverse("job_photo", args=[photo.pk])).status_code == 200
    assert len(api_as(bob).get(f"/api/jobs/{job.pk}/photos").json()) == 1
    client.force_login(carol)
    assert client.get(reverse("job_photo", args=[photo.pk])).status_code == 404
    # Released: access is gone.
    services.job_release(job=job, helper=bob, reason="Ill")
    client.force_login(bob)
    assert client.get(reverse("job_photo", args=[photo.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_login(photo):
    resp = Client().get(reverse("job_photo", args=[photo.pk]))
    assert resp.status_code == 302
    assert "/login/" in resp["Location"]


def test_api_lists_and_serves_photos_with_a_token(photo, job, alice, mallory, olga, api_as):
    listed = api_as(alice).get(f"/api/jobs/{job.pk}/photos").json()
    assert [p["id"] for p in listed] == [photo.pk]
    file_url = listed[0]["url"]
    resp = api_as(alice).get(file_url)
    assert resp.status_code == 200 and resp["Content-Type"] == "image/jpeg"
    assert api_as(olga).get(file_url).status_code == 200
    assert api_as(mallory).get(file_url).status_code == 404
    assert api_as(mallory).get(f"/api/jobs/{job.pk}/photos").status_code == 404
    # A photo id under another job's path is not found either.
    other = services.job_post(
        customer=alice,
        category=job.category,
        description="Another problem with the TV box",
        address=ADDRESS,
    )
    assert api_as(alice).get(f"/api/jobs/{other.pk}/photos/{photo.pk}").status_code == 404


def test_api_upload_by_a_stranger_is_404_and_by_the_wrong_role_403(job, mallory, bob, api_as):
    assert api_upload(api_as(mallory), job, image_bytes()).status_code == 404
    assert api_upload(api_as(bob), job, image_bytes()).status_code == 403  # feed, not assigned
    assert not JobPhoto.objects.exists()


def test_api_upload_without_a_file_or_with_an_unknown_kind_is_a_422(job, alice, api_as):
    api = api_as(alice)
    resp = api.client.post(f"/api/jobs/{job.pk}/photos", {"kind": "request"}, headers=api.headers)
    assert resp.status_code == 422
    assert api_upload(api, job, image_bytes(), kind="selfie").status_code == 422
    assert api.post(f"/api/jobs/{job.pk}/photos", {"kind": "request"}).status_code in (400, 422)
    assert not JobPhoto.objects.exists()
