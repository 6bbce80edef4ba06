from django.db import migrations, models


def _noted_were_handled(apps, schema_editor):
    """Messages noted before the drain existed were taken in within their request."""
    WhatsAppInbound = apps.get_model("messengers", "WhatsAppInbound")
    WhatsAppInbound.objects.filter(handled_at__isnull=True).update(
        handled_at=models.F("received_at")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("messengers", "0005_drain_lanes"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="whatsappinbound",
            name="whatsapp_inbound_once",
        ),
        migrations.AddField(
            model_name="whatsappinbound",
            name="kind",
            field=models.CharField(default="message", max_length=40),
        ),
        migrations.AddField(
            model_name="whatsappinbound",
            name="payload",
            field=models.JSONField(default=dict),
        ),
        migrations.AddField(
            model_name="whatsappinbound",
            name="error",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="whatsappinbound",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="whatsappinbound",
            name="shard",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="whatsappinbound",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="whatsappinbound",
            name="handled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(_noted_were_handled, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="whatsappinbound",
            constraint=models.UniqueConstraint(
                fields=("number", "wamid", "kind"), name="whatsapp_inbound_once_per_kind"
            ),
        ),
        migrations.AddIndex(
            model_name="whatsappinbound",
            index=models.Index(
                condition=models.Q(("handled_at__isnull", True)),
                fields=["id"],
                name="whatsapp_inbound_waiting",
            ),
        ),
    ]
