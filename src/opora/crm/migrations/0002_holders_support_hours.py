"""Copy each contract's support hours onto its holder's row, where the SLA clock reads
them (accounts 0013 added the column)."""

from typing import Any

from django.db import migrations


def copy_support_hours(apps: Any, schema_editor: Any) -> None:
    Contract = apps.get_model("crm", "Contract")
    User = apps.get_model("accounts", "User")
    Organization = apps.get_model("accounts", "Organization")
    for contract in Contract.objects.filter(support_hours__isnull=False).iterator():
        if contract.customer_id is not None:
            holders = User.objects.filter(pk=contract.customer_id)
        else:
            holders = Organization.objects.filter(pk=contract.organization_id)
        holders.update(contract_calendar_id=contract.support_hours_id)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("accounts", "0013_contract_support_hours"),
    ]

    operations = [migrations.RunPython(copy_support_hours, migrations.RunPython.noop)]
