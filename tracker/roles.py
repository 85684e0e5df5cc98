"""Who may do what: the four roles, as groups whose permissions follow from rules.

- readers: the web UI and the API, read only;
- editors: also change records and citations, add sources, use the reading desk, add and
  change progress reports; they delete no organisation, agreement or source;
- administrators: every permission (users included);
- partners: the API only, through a token; no web UI login.

Migration 0010_roles creates the groups. Their permissions are set after every `migrate`
(and every test database flush) by `sync_roles`, because a data migration on a fresh
database runs before Django has created any permission, and because a model added later
must reach the groups without a migration of its own. The rules read the permissions that
exist, so a new tracker model's add/change/delete/view reach editors and administrators on
the next `migrate`. The four groups' permissions are the code's: change them here, not in
the admin (the next `migrate` puts them back); give a person more through another group.
"""

import functools

from django.contrib.auth import backends as auth_backends
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction

READERS = "Readers"
EDITORS = "Editors"
ADMINISTRATORS = "Administrators"
PARTNERS = "Partners"

# The permissions the UI and the API check (declared on Source, tracker/models.py).
READ_UI = "tracker.read_ui"
READ_API = "tracker.read_api"

# Editors and administrators work in the admin, which Django opens to staff only.
STAFF_ROLES = {EDITORS, ADMINISTRATORS}

# Tracker models that the code keeps, not people: no editor permission on them.
KEPT_BY_THE_CODE = {"mention", "sourcefingerprint", "dismissedproposal", "loadedfixturerecord"}
# What editors may not delete: losing one would lose the evidence or the agreements it holds.
EDITORS_MAY_NOT_DELETE = {"organisation", "agreement", "source"}
EDITOR_ACTIONS = ("view", "add", "change", "delete")


def reading(codenames):
    return {name.split(".", 1)[1] for name in codenames}


def role_permissions(role):
    """The permissions `role` holds, as a queryset of the permissions that exist now."""
    tracker = Permission.objects.filter(content_type__app_label="tracker")
    if role == READERS:
        return tracker.filter(codename__in=reading([READ_UI, READ_API]))
    if role == PARTNERS:
        return tracker.filter(codename__in=reading([READ_API]))
    if role == ADMINISTRATORS:
        return Permission.objects.all()
    if role == EDITORS:
        edited = [
            permission.pk
            for permission in tracker.select_related("content_type")
            if editor_may(permission.codename, permission.content_type.model)
        ]
        return Permission.objects.filter(pk__in=edited)
    raise ValueError(f"Unknown role {role!r}")


def editor_may(codename, model):
    if codename in reading([READ_UI, READ_API]):
        return True
    if model in KEPT_BY_THE_CODE or model.startswith("historical"):
        return False
    action = codename.split("_", 1)[0]
    if action not in EDITOR_ACTIONS or codename != f"{action}_{model}":
        return False
    return not (action == "delete" and model in EDITORS_MAY_NOT_DELETE)


ROLES = (READERS, EDITORS, ADMINISTRATORS, PARTNERS)


@transaction.atomic
def sync_roles():
    """Create any missing role group and give each exactly its rules' permissions."""
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(role_permissions(role))


def sync_after_migrate(sender, apps=None, using="default", **kwargs):
    """post_migrate handler: permissions of every app first, then the roles' groups.

    Django creates each app's permissions in the same signal, app by app; creating them all
    here first (which Django's own handlers do again harmlessly) makes the result independent
    of the order of INSTALLED_APPS. `flush` (between transactional tests) sends no `apps`.
    """
    from django.apps import apps as installed

    apps = apps or installed
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    for app_config in installed.get_app_configs():
        create_contenttypes(app_config, verbosity=0, using=using, apps=apps)
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    sync_roles()


def place_accounts_made_before_roles():
    """Accounts made before the roles keep what they could read, as migration 0010 placed
    them: staff (who read the web UI) become readers, other active accounts (API tokens)
    partners. For the accounts of a backup made before the roles."""
    from django.contrib.auth.models import User

    readers, partners = Group.objects.get(name=READERS), Group.objects.get(name=PARTNERS)
    for user in User.objects.filter(is_active=True, is_superuser=False):
        user.groups.add(readers if user.is_staff else partners)


def assign(user, role):
    """Give `user` the role: its group, and staff status where the role works in the admin."""
    user.groups.add(Group.objects.get(name=role))
    if role in STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


class ModelBackend(auth_backends.ModelBackend):
    """Django's, reading a user's permissions, their own and their groups', in one query.

    Every API request and UI page checks one permission. Django's two queries, each built by
    the ORM anew, were a fifth of a small API page's time; this one is written once, from the
    models' own table names. Same answers: an inactive or anonymous user holds none, a
    superuser all, kept for the request on the user (Django's `_perm_cache`)."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                names = Permission.objects.values_list("content_type__app_label", "codename")
            else:
                with connection.cursor() as cursor:
                    cursor.execute(permissions_sql(), [user_obj.pk, user_obj.pk])
                    names = cursor.fetchall()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in names}
        return user_obj._perm_cache


@functools.cache
def permissions_sql():
    """The app label and codename of each permission a user (the parameter, twice) holds."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType

    user_model = get_user_model()
    table = {
        "permission": Permission._meta.db_table,
        "content_type": ContentType._meta.db_table,
        "own": user_model.user_permissions.through._meta.db_table,
        "membership": user_model.groups.through._meta.db_table,
        "of_group": Group.permissions.through._meta.db_table,
    }
    quoted = {key: connection.ops.quote_name(name) for key, name in table.items()}
    return (
        "SELECT ct.app_label, p.codename FROM {permission} p "
        "JOIN {content_type} ct ON ct.id = p.content_type_id "
        "WHERE p.id IN (SELECT permission_id FROM {own} WHERE user_id = %s) "
        "OR p.id IN (SELECT g.permission_id FROM {of_group} g "
        "JOIN {membership} m ON m.group_id = g.group_id WHERE m.user_id = %s)"
    ).format(**quoted)
