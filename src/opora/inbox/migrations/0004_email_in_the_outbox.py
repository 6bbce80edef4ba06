"""Mail sent out becomes a Delivery of the channel layer: every OutboundMail row is
copied (channel "email", recipient -> address, message_id -> external_id, the rest
kept) and the OutboundMail table dropped.

Rows keep their ids when the outbox is still empty, so that `send_mail_task(id)` jobs
queued before the upgrade deliver the same mail; otherwise a queued copy is found by
the outbox's sweep like any delivery whose job was lost."""

from django.core.management.color import no_style
from django.db import migrations, models


def copy_outbound_mail(apps, schema_editor):
    OutboundMail = apps.get_model("inbox", "OutboundMail")
    Delivery = apps.get_model("inbox", "Delivery")
    db = schema_editor.connection.alias
    keep_ids = not Delivery.objects.using(db).exists()
    batch = []
    for mail in OutboundMail.objects.using(db).order_by("id").iterator(chunk_size=2000):
        batch.append(
            Delivery(
                id=mail.id if keep_ids else None,
                ticket_id=mail.ticket_id,
                ticket_message_id=mail.ticket_message_id,
                channel="email",
                kind=mail.kind,
                address=mail.recipient,
                state=mail.state,
                attempts=mail.attempts,
                error=mail.error,
                external_id=mail.message_id,
                created_at=mail.created_at,
                sent_at=mail.sent_at,
            )
        )
        if len(batch) >= 2000:
            Delivery.objects.using(db).bulk_create(batch)
            batch = []
    if batch:
        Delivery.objects.using(db).bulk_create(batch)
    if keep_ids:
        # Explicit ids do not move PostgreSQL's sequence: set it past them.
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Delivery]):
                cursor.execute(sql)


def copy_back(apps, schema_editor):
    OutboundMail = apps.get_model("inbox", "OutboundMail")
    Delivery = apps.get_model("inbox", "Delivery")
    db = schema_editor.connection.alias
    mails = Delivery.objects.using(db).filter(channel="email").exclude(external_id="")
    OutboundMail.objects.using(db).bulk_create(
        [
            OutboundMail(
                ticket_id=d.ticket_id,
                ticket_message_id=d.ticket_message_id,
                kind=d.kind,
                message_id=d.external_id,
                recipient=d.address,
                state=d.state,
                attempts=d.attempts,
                error=d.error,
                created_at=d.created_at,
                sent_at=d.sent_at,
            )
            for d in mails.iterator()
        ]
    )
    mails.delete()


class Migration(migrations.Migration):

    dependencies = [
        ('inbox', '0003_delivery'),
        ('tickets', '0008_alter_event_kind'),
    ]

    operations = [
        # The index first: on PostgreSQL a table with rows inserted in this transaction
        # (deferred foreign-key checks pending) cannot be given an index.
        migrations.AddConstraint(
            model_name='delivery',
            constraint=models.UniqueConstraint(condition=models.Q(('channel__in', ('email', 'web')), models.Q(('external_id', ''), _negated=True)), fields=('external_id',), name='delivery_message_id'),
        ),
        migrations.RunPython(copy_outbound_mail, copy_back),
        migrations.DeleteModel(
            name='OutboundMail',
        ),
    ]
