"""The four roles as groups, and the people who already read the tracker kept in one.

The groups' permissions are not set here: on a fresh database no permission exists yet
while migrations run. `tracker.roles.sync_roles` sets them after every `migrate`.
Accounts made before the roles keep what they could read: staff (who read the web UI through
the admin's login) become readers as well, whatever their other groups; other active accounts
(API tokens) partners.
"""

from django.db import migrations

ROLES = ("Readers", "Editors", "Administrators", "Partners")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("auth", "User")
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
    earlier = User.objects.filter(is_active=True, is_superuser=False)
    for user in earlier:
        user.groups.add(groups["Readers"] if user.is_staff else groups["Partners"])


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("tracker", "0009_report_dates_in_range"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="source",
            options={
                "ordering": ["-published_on", "title"],
                "permissions": [
                    ("read_ui", "Can read the web UI"),
                    ("read_api", "Can read the API"),
                ],
                "verbose_name": "source",
                "verbose_name_plural": "sources",
            },
        ),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
