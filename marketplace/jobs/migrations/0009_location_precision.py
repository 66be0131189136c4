"""How exactly each job's point is known (issue 12 item 11).

Jobs posted before this were placed by the offline gazetteer (a town centre) or by the
customer's device; only the latter can be told apart afterwards: a request without an address
was posted with coordinates. Everything else keeps the default, "town", which never claims more
precision than there was."""

from django.db import migrations, models


def mark_device_jobs(apps, schema_editor):
    JobRequest = apps.get_model("jobs", "JobRequest")
    JobRequest.objects.filter(address="").update(location_precision="device")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0008_economics_rollup_support"),
    ]

    operations = [
        migrations.AddField(
            model_name="jobrequest",
            name="location_precision",
            field=models.CharField(
                choices=[
                    ("street", "Street address"),
                    ("postcode", "Postcode"),
                    ("town", "Town centre"),
                    ("device", "Device GPS"),
                ],
                default="town",
                max_length=8,
            ),
        ),
        migrations.RunPython(mark_device_jobs, migrations.RunPython.noop, elidable=True),
    ]
