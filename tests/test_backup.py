"""Backup then restore into an empty database gives back every row: records, history, users."""

import gzip
import io
import json
import os
import secrets
import subprocess
import sys

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.authtoken.models import Token

from tracker import roles
from tracker.backup import NOT_BACKED_UP, backed_up_models
from tracker.devtools import factories
from tracker.models import (
    Agreement,
    Citation,
    Commitment,
    CommitmentReport,
    Organisation,
    Person,
)

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

    # A progress report, cited by a quote its commitment already cites.
    cited = Citation.objects.filter(commitment__isnull=False).select_related("commitment").first()
    report = factories.CommitmentReportFactory(
        commitment=cited.commitment, status="partly_met", summary="Tenu en partie"
    )
    Citation.objects.create(source=cited.source, quote=cited.quote, report=report)

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
        ("notes.txt", "Dear team,", r"notes\.txt: it is not valid JSON"),
        ("broken.json", "{not json", r"broken\.json: it is not valid JSON"),
    ],
)
def test_restore_names_what_is_wrong_with_its_file(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(path), stdout=io.StringIO())


def restore(path):
    output = io.StringIO()
    call_command("restore", str(path), stdout=output, stderr=output)
    return output.getvalue()


def written_backup(tmp_path, entries, name="edited.json"):
    path = tmp_path / name
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: gzip.compress(data)[: len(gzip.compress(data)) // 2], "truncated"),
        (lambda data: b"\x1f\x8b\x08\x00 not really gzip", "not a valid gzip"),
        (lambda data: b"PK\x03\x04 a zip archive", "neither gzip-compressed nor JSON"),
    ],
    ids=["truncated", "corrupt-gzip", "not-gzip"],
)
def test_a_damaged_compressed_backup_is_refused_with_a_message_not_a_traceback(
    tracker_in_use, tmp_path, empty_the_database, damage, message
):
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stderr=io.StringIO())
    damaged = tmp_path / "tracker.json.gz"
    damaged.write_bytes(damage(backup.read_bytes()))
    empty_the_database()

    expected = rf"Nothing was restored: .*tracker\.json\.gz.*{message}"
    with pytest.raises(CommandError, match=expected):
        restore(damaged)
    assert not Organisation.objects.exists() and not User.objects.exists()


@pytest.mark.parametrize("content", ["[]", "{}", "", '[{"model": "tracker.organisation"}]'])
def test_a_backup_without_records_is_refused_not_restored_as_zero_rows(db, tmp_path, content):
    path = tmp_path / "empty.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=r"Nothing was restored: .*empty\.json"):
        restore(path)


def test_restore_reads_the_file_named_even_beside_another_of_the_same_stem(
    tracker_in_use, tmp_path, empty_the_database
):
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stderr=io.StringIO())
    (tmp_path / "tracker.json.gz").write_bytes(gzip.compress(b"[]"))  # an older copy, say
    before = snapshot()
    empty_the_database()

    output = restore(backup)

    assert "Restored" in output
    assert snapshot() == before


def test_a_compressed_backup_is_read_by_its_content_whatever_its_name(
    tracker_in_use, tmp_path, empty_the_database
):
    compressed = tmp_path / "tracker.json.gz"
    call_command("backup", output=str(compressed), stderr=io.StringIO())
    misnamed = tmp_path / "tracker.json"
    misnamed.write_bytes(compressed.read_bytes())
    before = snapshot()
    empty_the_database()

    restore(misnamed)

    assert snapshot() == before


def one_organisation_backup(tmp_path, **fields):
    entries = [
        {
            "model": "tracker.organisation",
            "pk": 1,
            "fields": {"slug": "menara", "name": "Cluster Menara", "kind": "cluster"} | fields,
        },
        {
            "model": "tracker.organisation",
            "pk": 2,
            "fields": {"slug": "amgs", "name": "AMGS", "kind": "public_agency"},
        },
    ]
    return written_backup(tmp_path, entries)


@pytest.mark.parametrize(
    ("fields", "field", "complaint"),
    [
        ({"name": "x" * 100_000}, "name", "at most 300 characters"),
        ({"name": "Cluster\x00Menara"}, "name", "NUL"),
        ({"name": ""}, "name", "cannot be blank"),
        ({"kind": "spaceship"}, "kind", "not a valid choice"),
    ],
    ids=["too-long", "nul-byte", "missing-required", "unknown-choice"],
)
def test_restore_refuses_a_row_either_database_would_refuse_and_names_it(
    db, tmp_path, fields, field, complaint
):
    path = one_organisation_backup(tmp_path, **fields)
    with pytest.raises(CommandError) as raised:
        restore(path)
    message = str(raised.value)
    assert message.startswith("Nothing was restored")
    assert "edited.json, record 1 (tracker.organisation" in message
    assert f"{field}: " in message and complaint in message
    assert not Organisation.objects.exists()


def test_restore_refuses_a_row_whose_required_field_is_absent(db, tmp_path):
    entries = [
        {"model": "tracker.organisation", "pk": 1, "fields": {"slug": "menara", "kind": "cluster"}}
    ]
    with pytest.raises(CommandError, match=r"record 1 \(tracker\.organisation.*name: "):
        restore(written_backup(tmp_path, entries))
    assert not Organisation.objects.exists()


@pytest.fixture
def cache_without_its_table(settings):
    """Point the shared cache at a table that does not exist, as a database never given one."""

    def switch():
        settings.CACHES = {
            **settings.CACHES,
            settings.TRACKER_API_CACHE_ALIAS: {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "tracker_cache_never_created",
            },
        }

    return switch


@pytest.mark.django_db(transaction=True)
def test_a_cache_failure_after_the_commit_is_a_warning_not_nothing_restored(
    tmp_path, empty_the_database, cache_without_its_table
):
    factories.CitationFactory()
    User.objects.create_user("editor", password="a long passphrase 42")
    before = snapshot()
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stderr=io.StringIO())
    empty_the_database()
    cache_without_its_table()

    output, warnings = io.StringIO(), io.StringIO()
    call_command("restore", str(backup), stdout=output, stderr=warnings)

    assert snapshot() == before
    assert f"Restored {len(json.loads(backup.read_text()))} rows" in output.getvalue()
    assert "committed" in warnings.getvalue() and "cache" in warnings.getvalue()


def test_migrate_creates_a_table_for_every_database_cache(db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracker_cache_pages_made_by_migrate",
        },
        "counters": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracker_cache_counters_made_by_migrate",
        },
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }

    call_command("migrate", verbosity=0)  # nothing to apply: the tables come all the same
    call_command("migrate", verbosity=0)  # and a second time leaves them as they are

    tables = set(connection.introspection.table_names())
    assert "tracker_cache_pages_made_by_migrate" in tables
    assert "tracker_cache_counters_made_by_migrate" in tables
    caches["counters"].set("throttle", 1)
    assert caches["counters"].get("throttle") == 1


@pytest.fixture
def fresh_database_url(tmp_path):
    """The address of a new, empty database on the server the tests run on."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    import psycopg

    params = connection.settings_dict
    name = f"tracker_fresh_{secrets.token_hex(4)}"
    server = {
        "host": params["HOST"],
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "password": params["PASSWORD"],
        "dbname": params["NAME"],
    }
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield (
        f"postgres://{server['user']}:{server['password']}@{server['host']}:{server['port']}/{name}"
    )
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_migrate_alone_prepares_a_database_that_restore_fills(db, tmp_path, fresh_database_url):
    factories.CitationFactory()
    User.objects.create_user("editor", password="a long passphrase 42")
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stderr=io.StringIO())
    rows = len(json.loads(backup.read_text(encoding="utf-8")))
    environment = os.environ | {"DATABASE_URL": fresh_database_url, "DJANGO_DEBUG": "0"}

    def manage(*arguments):
        return subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=django_settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )

    migrated = manage("migrate", "--noinput", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    restored = manage("restore", str(backup))

    assert restored.returncode == 0, restored.stderr
    assert f"Restored {rows} rows" in restored.stdout
    assert restored.stderr == ""
    again = manage("restore", str(backup))
    assert again.returncode != 0 and "holds rows already" in again.stderr


def test_a_backup_holding_one_record_twice_is_refused_not_overwritten(db, tmp_path):
    organisation = {"slug": "menara", "name": "Cluster Menara", "kind": "cluster"}
    entries = [
        {"model": "tracker.organisation", "pk": 1, "fields": organisation},
        {"model": "tracker.organisation", "pk": 1, "fields": organisation | {"name": "Autre"}},
    ]
    with pytest.raises(CommandError, match=r"record 2 \(tracker\.organisation, id 1\)"):
        restore(written_backup(tmp_path, entries))
    assert not Organisation.objects.exists()


def test_restore_brings_reports_back_and_commitments_follow_them(
    tracker_in_use, tmp_path, empty_the_database
):
    report = CommitmentReport.objects.get(summary="Tenu en partie")
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stderr=io.StringIO())
    entries = json.loads(backup.read_text(encoding="utf-8"))
    # A backup edited by hand, whose commitment row disagrees with its report.
    for entry in entries:
        if entry["model"] == "tracker.commitment" and entry["pk"] == report.commitment_id:
            entry["fields"].update(status="announced", met_on=None, own_status="")

    empty_the_database()
    restore(written_backup(tmp_path, entries))

    restored = CommitmentReport.objects.get(summary="Tenu en partie")
    assert restored.citations.count() == 1
    commitment = Commitment.objects.get(pk=report.commitment_id)
    assert (commitment.status, commitment.met_on) == ("partly_met", restored.reported_on)
    assert commitment.own_status == "announced"


def test_restore_brings_field_claims_members_and_disputes_back(
    tracker_in_use, tmp_path, empty_the_database
):
    factories.plant_accord_disagreement()
    claims = sorted(Citation.objects.exclude(field="").values_list("quote", "field", "value"))
    assert len(claims) == 6
    backup = tmp_path / "tracker.json"
    call_command("backup", output=str(backup), stderr=io.StringIO())

    empty_the_database()
    restore(backup)

    assert sorted(Citation.objects.exclude(field="").values_list("quote", "field", "value")) == (
        claims
    )
    cluster = Organisation.objects.get(slug="mmi-cluster")
    assert (cluster.members, cluster.members_qualifier) == (40, "more_than")
    assert [a.slug for a in Agreement.objects.disputed()] == [factories.ACCORD]


def test_a_backup_from_before_the_roles_restores_its_accounts_with_the_roles_migrate_gives(
    tracker_in_use, tmp_path, empty_the_database
):
    """Staff read the web UI before the roles, and token holders the API: after the restore of
    such a backup they still do, as readers and partners, as `migrate` placed them."""
    User.objects.create_user("apiclient", password="another passphrase 42")
    output = io.StringIO()
    call_command("backup", stdout=output, stderr=io.StringIO())
    entries = json.loads(output.getvalue())
    before_roles = []
    for entry in entries:
        if entry["model"] == "auth.group" and entry["fields"]["name"] in roles.ROLES:
            continue
        if entry["model"] == "auth.user":
            entry["fields"]["groups"] = [
                key for key in entry["fields"]["groups"] if key[0] not in roles.ROLES
            ]
        before_roles.append(entry)
    backup = tmp_path / "before-roles.json"
    backup.write_text(json.dumps(before_roles), encoding="utf-8")

    empty_the_database()
    call_command("restore", str(backup), stdout=io.StringIO())

    editor, apiclient = User.objects.get(username="editor"), User.objects.get(username="apiclient")
    assert editor.has_perm(roles.READ_UI) and editor.has_perm("tracker.change_organisation")
    assert apiclient.has_perm(roles.READ_API) and not apiclient.has_perm(roles.READ_UI)


def test_a_flush_or_migrate_changes_the_data_version(db, empty_the_database):
    """`flush` empties tables without a save or delete signal: pages and dashboard figures
    kept under the version of before would show records that are gone."""
    from tracker import data_version

    before = data_version.current()
    empty_the_database()
    after_flush = data_version.current()
    call_command("migrate", verbosity=0)
    assert before != after_flush != data_version.current()
