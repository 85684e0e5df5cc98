"""Backup then restore into an empty database gives back every row: records, history, users."""

import io
import json

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.authtoken.models import Token

from tracker.devtools import factories
from tracker.backup import NOT_BACKED_UP, backed_up_models
from tracker.models import Organisation, Person

pytestmark = pytest.mark.django_db


def comparable(value):
    if isinstance(value, ContentType):
        return ("contenttype", value.app_label, value.model)
    if isinstance(value, Permission):
        return ("permission", value.content_type.app_label, value.codename)
    return value


def snapshot():
    """Every row of every model, as values a new database must give back identically.

    Content types and permissions are compared by name: a new database numbers them anew.
    """
    rows = {}
    for model in apps.get_models():
        if model._meta.label_lower in NOT_BACKED_UP or model._meta.proxy:
            continue
        table = []
        for row in model._default_manager.order_by("pk"):
            values = {}
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model in (ContentType, Permission):
                    values[field.name] = comparable(getattr(row, field.name))
                else:
                    values[field.attname] = getattr(row, field.attname)
            for field in model._meta.many_to_many:
                values[field.name] = sorted(map(comparable, getattr(row, field.name).all()))
            table.append(values)
        rows[model._meta.label] = table
    return rows


@pytest.fixture
def tracker_in_use(article_data):
    """The article data, then what staff do to it: edits, a deletion, users, the admin's log."""
    ministry = Organisation.objects.get(slug="ministere-sante-protection-sociale")
    ministry.description = "Édité après le chargement"
    ministry._change_reason = "Précision"
    ministry.save()

    gone = factories.OrganisationFactory(name="Organisme dissous")
    factories.OrganisationNameFactory(organisation=gone, name="Ancien nom")
    gone.delete()  # its history, and its other name's, name a record that no longer exists

    editors = Group.objects.create(name="Éditeurs")
    editors.permissions.add(Permission.objects.get(codename="change_organisation"))
    editor = User.objects.create_user("editor", password="a long passphrase 42", is_staff=True)
    editor.groups.add(editors)
    editor.user_permissions.add(Permission.objects.get(codename="view_agreement"))
    Token.objects.create(user=editor)
    LogEntry.objects.create(
        user=editor,
        content_type=ContentType.objects.get_for_model(Organisation),
        object_id=str(ministry.pk),
        object_repr=str(ministry),
        action_flag=CHANGE,
        change_message="Description",
    )
    return ministry


@pytest.fixture
def empty_the_database():
    """Empty the database the way a new, migrated one is: only content types and permissions.

    The test's transaction brings the old rows back afterwards, but not the content type
    cache, which by then holds the new numbering; it is cleared so later tests see the old.
    """

    def empty():
        if connection.vendor == "postgresql":
            # Run the foreign-key checks PostgreSQL defers to commit, or it refuses TRUNCATE.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        call_command("flush", interactive=False, verbosity=0)
        assert not Organisation.objects.exists() and not User.objects.exists()

    yield empty
    ContentType.objects.clear_cache()


def test_backup_then_restore_into_an_empty_database_loses_nothing(
    tracker_in_use, tmp_path, client, empty_the_database
):
    before = snapshot()
    assert before["tracker.HistoricalOrganisation"] and before["admin.LogEntry"]
    backup = tmp_path / "tracker.json"
    output = io.StringIO()
    call_command("backup", stdout=output, stderr=io.StringIO())
    backup.write_text(output.getvalue(), encoding="utf-8")

    empty_the_database()
    call_command("restore", str(backup), stdout=io.StringIO())

    assert snapshot() == before
    ministry = Organisation.objects.get(slug="ministere-sante-protection-sociale")
    assert [record.history_change_reason for record in ministry.history.all()][0] == "Précision"
    assert Organisation.history.filter(name="Organisme dissous", history_type="-").exists()
    assert client.login(username="editor", password="a long passphrase 42")
    assert User.objects.get(username="editor").has_perm("tracker.change_organisation")


def test_new_records_after_a_restore_get_fresh_ids(tracker_in_use, tmp_path, empty_the_database):
    backup = tmp_path / "tracker.json.gz"
    call_command("backup", output=str(backup), stderr=io.StringIO())
    highest = Organisation.history.order_by("-history_id").first().history_id
    empty_the_database()
    call_command("restore", str(backup), stdout=io.StringIO())

    created = factories.OrganisationFactory(name="Créée après la restauration")
    # Not the id of the organisation deleted before the backup, whose history is kept.
    assert [record.history_type for record in created.history.all()] == ["+"]
    assert created.history.get().history_id > highest
    assert Person.objects.create(name="Nouvelle personne", slug="nouvelle-personne").pk


def test_the_backup_is_a_fixture_with_history_and_natural_keys(tracker_in_use, tmp_path):
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stderr=io.StringIO())
    entries = json.loads(backup.read_text(encoding="utf-8"))
    models = {entry["model"] for entry in entries}
    assert {"tracker.organisation", "tracker.historicalorganisation", "auth.user"} <= models
    assert {"contenttypes.contenttype", "auth.permission", "sessions.session"}.isdisjoint(models)
    log_entry = next(entry for entry in entries if entry["model"] == "admin.logentry")
    assert log_entry["fields"]["content_type"] == ["tracker", "organisation"]
    assert log_entry["fields"]["user"] == ["editor"]
    assert len(entries) == sum(model._default_manager.count() for model in backed_up_models())


def test_restore_refuses_a_database_that_holds_rows_and_changes_nothing(tracker_in_use, tmp_path):
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stderr=io.StringIO())
    before = snapshot()
    with pytest.raises(CommandError, match=r"empty database only.*tracker\.Organisation \(\d+\)"):
        call_command("restore", str(backup), stdout=io.StringIO())
    assert snapshot() == before


def test_a_damaged_backup_restores_nothing(tracker_in_use, tmp_path, empty_the_database):
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stderr=io.StringIO())
    entries = json.loads(backup.read_text(encoding="utf-8"))
    person = next(entry for entry in entries if entry["model"] == "tracker.person")
    person["fields"]["name"] = None  # a required column: the database refuses the row
    backup.write_text(json.dumps(entries), encoding="utf-8")
    empty_the_database()

    with pytest.raises(CommandError, match="Nothing was restored"):
        call_command("restore", str(backup), stdout=io.StringIO())
    assert not Organisation.objects.exists() and not User.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.json", None, "No such backup file"),
        ("notes.txt", "[]", "must end in .json"),
        ("broken.json", "{not json", "could not be loaded"),
    ],
)
def test_restore_names_what_is_wrong_with_its_file(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(path), stdout=io.StringIO())
