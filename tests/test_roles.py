"""Who may do what: readers, editors, administrators and partners on every face (web UI,
CSV, reading desk, admin, API), the UI's own login and logout, and `manage.py add_user`."""

import importlib
import io
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tracker import roles
from tracker.devtools import factories

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase for tests 42"
API = "/api/v1"
ROLE_NAMES = ["reader", "editor", "administrator", "partner"]
GROUP_OF = {
    "reader": roles.READERS,
    "editor": roles.EDITORS,
    "administrator": roles.ADMINISTRATORS,
    "partner": roles.PARTNERS,
}


def person_in(role, username=None):
    user = User.objects.create_user(username or role, password=PASSWORD)
    roles.assign(user, GROUP_OF[role])
    return User.objects.get(pk=user.pk)


def signed_in(role):
    client = Client()
    client.force_login(person_in(role))
    return client


@pytest.fixture
def records(db):
    source = factories.SourceFactory(text="Le ministère signe un accord avec le cluster.")
    agreement = factories.AgreementFactory()
    party = factories.AgreementPartyFactory(agreement=agreement)
    return {"source": source, "agreement": agreement, "organisation": party.organisation}


# The groups -----------------------------------------------------------------------------------


def test_the_four_roles_exist_as_groups_after_migrate():
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Readers", "Editors", "Administrators", "Partners"} <= names


def test_editors_hold_no_permission_to_delete_organisations_agreements_or_sources():
    editors = Group.objects.get(name=roles.EDITORS)
    codenames = set(editors.permissions.values_list("codename", flat=True))
    assert {"change_organisation", "add_source", "add_citation", "change_citation"} <= codenames
    assert {"add_commitmentreport", "change_commitmentreport"} <= codenames
    assert not {"delete_organisation", "delete_agreement", "delete_source"} & codenames


def test_syncing_roles_again_puts_back_what_was_taken_and_changes_nothing_else():
    editors = Group.objects.get(name=roles.EDITORS)
    before = set(editors.permissions.values_list("pk", flat=True))
    editors.permissions.remove(Permission.objects.get(codename="change_organisation"))
    editors.permissions.add(Permission.objects.get(codename="delete_source"))
    Group.objects.get(name=roles.PARTNERS).delete()
    roles.sync_roles()
    roles.sync_roles()
    assert set(editors.permissions.values_list("pk", flat=True)) == before
    assert Group.objects.get(name=roles.PARTNERS).permissions.count() == 1


def test_a_new_models_permissions_reach_editors_and_administrators_on_the_next_migrate():
    newcomer = ContentType.objects.create(app_label="tracker", model="newcomer")
    added = Permission.objects.create(content_type=newcomer, codename="add_newcomer", name="x")
    call_command("migrate", verbosity=0)
    assert Group.objects.get(name=roles.EDITORS).permissions.filter(pk=added.pk).exists()
    assert Group.objects.get(name=roles.ADMINISTRATORS).permissions.filter(pk=added.pk).exists()
    assert not Group.objects.get(name=roles.READERS).permissions.filter(pk=added.pk).exists()


def test_accounts_made_before_the_roles_keep_what_they_could_read():
    staff = User.objects.create_user("staff-reader", is_staff=True)
    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.groups.add(Group.objects.create(name="Clerks"))
    token_holder = User.objects.create_user("token-holder")
    boss = User.objects.create_superuser("boss")
    migration = importlib.import_module("tracker.migrations.0010_roles")
    from django.apps import apps

    migration.create_roles(apps, None)
    assert [g.name for g in staff.groups.all()] == [roles.READERS]
    assert [g.name for g in token_holder.groups.all()] == [roles.PARTNERS]
    assert sorted(g.name for g in clerk.groups.all()) == ["Clerks", roles.READERS]
    assert not boss.groups.exists()


# The web UI, its CSV and the reading desk -----------------------------------------------------


def ui_urls(records):
    agreement = records["agreement"]
    return [
        reverse("tracker:dashboard"),
        reverse("tracker:agreement-list"),
        reverse("tracker:agreement-list") + "?format=csv",
        reverse("tracker:agreement-detail", kwargs={"slug": agreement.slug}),
        reverse("tracker:source-detail", kwargs={"slug": records["source"].slug}),
        reverse("tracker:map"),
        reverse("tracker:suggest", kwargs={"kind": "organisations"}) + "?q=a",
    ]


@pytest.mark.parametrize("role", ["reader", "editor", "administrator"])
def test_readers_editors_and_administrators_read_every_page_and_csv(records, role):
    client = signed_in(role)
    for url in ui_urls(records):
        assert client.get(url).status_code == HTTPStatus.OK, url


def test_partners_are_refused_every_page_and_csv(records):
    client = signed_in("partner")
    for url in ui_urls(records):
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN, url


def test_an_account_with_no_role_reads_nothing(records):
    client = Client()
    client.force_login(User.objects.create_user("nobody", password=PASSWORD))
    assert client.get(reverse("tracker:agreement-list")).status_code == HTTPStatus.FORBIDDEN
    token = Token.objects.create(user=User.objects.get(username="nobody"))
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(f"{API}/agreements/").status_code == HTTPStatus.FORBIDDEN


def test_anonymous_visitors_are_sent_to_the_uis_own_login(records):
    response = Client().get(reverse("tracker:agreement-list"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("tracker:login") + "?next=")


def desk_new(records):
    return reverse("tracker:desk-new", kwargs={"slug": records["source"].slug, "kind": "person"})


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("reader", HTTPStatus.FORBIDDEN),
        ("partner", HTTPStatus.FORBIDDEN),
        ("editor", HTTPStatus.OK),
        ("administrator", HTTPStatus.OK),
    ],
)
def test_only_editors_and_administrators_use_the_reading_desk(records, role, status):
    client = signed_in(role)
    text = records["source"].text
    selection = {"start": text.index("ministère"), "end": text.index("ministère") + 9}
    assert client.get(desk_new(records), selection).status_code == status
    page = client.get(reverse("tracker:source-detail", kwargs={"slug": records["source"].slug}))
    if role != "partner":
        assert (desk_new(records) in page.content.decode()) == (status == HTTPStatus.OK)


def test_an_editor_cites_a_selection_on_the_desk(records):
    client = signed_in("editor")
    text = records["source"].text
    start = text.index("le cluster")
    response = client.post(
        desk_new(records), {"start": start, "end": start + 10, "name": "Le Cluster"}
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    assert records["source"].citations.filter(quote="le cluster").exists()


@pytest.mark.parametrize(
    ("role", "shown"),
    [("reader", False), ("editor", True), ("administrator", True)],
)
def test_only_those_who_can_use_the_admin_see_its_link(records, role, shown):
    body = signed_in(role).get(reverse("tracker:dashboard")).content.decode()
    assert (f'href="{reverse("admin:index")}"' in body) == shown


# The admin ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reader", "partner"])
def test_readers_and_partners_cannot_open_the_admin(records, role):
    response = signed_in(role).get(reverse("admin:index"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))


def admin_url(record, action):
    meta = record._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{action}", args=[record.pk])


@pytest.mark.parametrize("kind", ["organisation", "agreement", "source"])
def test_editors_add_and_change_but_cannot_delete_organisations_agreements_or_sources(
    records, kind
):
    client = signed_in("editor")
    record = records[kind]
    meta = record._meta
    add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
    assert client.get(add).status_code == HTTPStatus.OK
    assert client.get(admin_url(record, "change")).status_code == HTTPStatus.OK
    assert client.get(admin_url(record, "delete")).status_code == HTTPStatus.FORBIDDEN
    assert client.post(admin_url(record, "delete"), {"post": "yes"}).status_code == 403
    assert type(record).objects.filter(pk=record.pk).exists()


def test_editors_change_a_record_in_the_admin(records):
    organisation = records["organisation"]
    client = signed_in("editor")
    response = client.get(admin_url(organisation, "change"))
    assert response.status_code == HTTPStatus.OK
    assert b'name="name"' in response.content


def test_editors_may_delete_a_citation_they_made_in_error(records):
    citation = factories.CitationFactory(
        source=records["source"], quote="signe un accord", organisation=records["organisation"]
    )
    client = signed_in("editor")
    assert client.get(admin_url(citation, "delete")).status_code == HTTPStatus.OK


@pytest.mark.parametrize("kind", ["organisation", "agreement", "source"])
def test_administrators_may_delete_anything(records, kind):
    client = signed_in("administrator")
    assert client.get(admin_url(records[kind], "delete")).status_code == HTTPStatus.OK


def test_administrators_manage_users(records):
    client = signed_in("administrator")
    assert client.get(reverse("admin:auth_user_changelist")).status_code == HTTPStatus.OK
    assert signed_in("editor").get(reverse("admin:auth_user_changelist")).status_code == 403


# The API --------------------------------------------------------------------------------------


def token_client(role):
    token = Token.objects.create(user=person_in(role))
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_role_reads_the_api_and_none_writes(records, role):
    api = token_client(role)
    slug = records["agreement"].slug
    assert api.get(f"{API}/agreements/").status_code == HTTPStatus.OK
    assert api.get(f"{API}/agreements/{slug}/").status_code == HTTPStatus.OK
    assert api.post(f"{API}/agreements/", {"title": "x"}).status_code == 405
    assert api.put(f"{API}/agreements/{slug}/", {"title": "x"}).status_code == 405
    assert api.delete(f"{API}/agreements/{slug}/").status_code == 405
    assert api.get(f"{API}/agreements/{slug}/").status_code == HTTPStatus.OK


def permission_queries(captured):
    return [query["sql"] for query in captured if '"auth_permission"' in query["sql"]]


@pytest.mark.parametrize("face", ["api", "ui"])
def test_a_request_reads_the_users_permissions_in_one_query(records, face):
    """Every API request and UI page checks the user's role: one query, not Django's two (the
    user's own permissions, then their groups')."""
    client = token_client("reader") if face == "api" else signed_in("reader")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{API}/agreements/" if face == "api" else "/agreements/")
    assert response.status_code == HTTPStatus.OK
    assert len(permission_queries(captured)) == 1


def test_permissions_come_from_the_users_groups_and_their_own_and_follow_changes_at_once(
    records,
):
    """A role taken away is refused on the next request; a permission given to the person
    alone, outside any role, counts; an inactive account holds none."""
    token = Token.objects.create(user=person_in("partner", "someone"))
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(f"{API}/agreements/").status_code == HTTPStatus.OK
    user = token.user
    user.groups.clear()
    assert api.get(f"{API}/agreements/").status_code == HTTPStatus.FORBIDDEN
    user.user_permissions.add(Permission.objects.get(codename="read_api"))
    assert api.get(f"{API}/agreements/").status_code == HTTPStatus.OK
    fresh = User.objects.get(pk=user.pk)
    assert fresh.get_all_permissions() == {roles.READ_API}
    fresh = User.objects.get(pk=user.pk)
    fresh.is_active = False
    assert fresh.get_all_permissions() == set()
    administrator = person_in("administrator")
    administrator.is_superuser = True
    assert administrator.get_all_permissions() == {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }


# The UI's own login and logout ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["reader", "editor", "administrator"])
def test_every_ui_role_logs_in_on_the_uis_own_page(records, role):
    person_in(role)
    client = Client()
    response = client.post(
        reverse("tracker:login"),
        {"username": role, "password": PASSWORD, "next": "/agreements/"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/agreements/"
    assert client.get("/agreements/").status_code == HTTPStatus.OK


def test_a_partner_cannot_log_in_to_the_ui_even_with_a_password(records):
    person_in("partner")
    client = Client()
    response = client.post(reverse("tracker:login"), {"username": "partner", "password": PASSWORD})
    assert response.status_code == HTTPStatus.OK
    assert "_auth_user_id" not in client.session
    assert "correct username and password" in response.content.decode()


def test_a_wrong_password_is_answered_on_the_login_page():
    person_in("reader")
    response = Client().post(reverse("tracker:login"), {"username": "reader", "password": "no"})
    assert response.status_code == HTTPStatus.OK
    assert "correct username and password" in response.content.decode()


def test_the_login_page_speaks_french():
    response = Client().get(reverse("tracker:login"), HTTP_ACCEPT_LANGUAGE="fr")
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Se connecter" in body and "Mot de passe" in body
    assert "Les partenaires lisent l’API avec leur jeton." in body
    assert f'href="{reverse("admin:index")}"' not in body


def test_a_refused_login_is_answered_in_french():
    response = Client().post(
        reverse("tracker:login"), {"username": "x", "password": "y"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert "Saisissez le nom d’utilisateur et le mot de passe corrects" in response.content.decode()


def test_logging_out_ends_the_session_and_lands_on_the_login_page(records):
    client = signed_in("reader")
    response = client.post(reverse("tracker:logout"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("tracker:login")
    assert client.get("/agreements/").status_code == HTTPStatus.FOUND


def test_the_header_logs_in_and_out_through_the_uis_own_pages(records):
    body = signed_in("reader").get("/").content.decode()
    assert f'action="{reverse("tracker:logout")}"' in body
    assert reverse("admin:logout") not in body


# manage.py add_user ---------------------------------------------------------------------------


def add_user(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    call_command("add_user", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("role", "staff"), [("reader", False), ("editor", True), ("administrator", True)]
)
def test_add_user_makes_a_person_who_logs_in_with_that_role(records, password_file, role, staff):
    add_user(role, "alice", "--email", "alice@example.org", "--password-file", password_file)
    alice = User.objects.get(username="alice")
    assert alice.email == "alice@example.org"
    assert alice.is_staff == staff and not alice.is_superuser
    assert [group.name for group in alice.groups.all()] == [GROUP_OF[role]]
    client = Client()
    response = client.post(reverse("tracker:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/agreements/").status_code == HTTPStatus.OK


def test_add_user_partner_prints_a_working_token_once(records):
    out, err = add_user("partner", "ministry-script")
    key = out.strip()
    partner = User.objects.get(username="ministry-script")
    assert not partner.has_usable_password() and not partner.is_staff
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"{API}/agreements/").status_code == HTTPStatus.OK
    assert "only this once" in err


def test_add_user_asks_for_the_password_twice_when_no_file_is_given(monkeypatch, records):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    add_user("reader", "bob")
    assert User.objects.get(username="bob").check_password(PASSWORD)


def test_add_user_refuses_passwords_that_differ(monkeypatch):
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="do not match"):
        add_user("reader", "bob")
    assert not User.objects.filter(username="bob").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["reader", "alice", "--email", "not-an-address"], "--email"),
        (["reader", "alice", "--password-file", "/nonexistent/password"], "--password-file"),
        (["reader", "bad name!"], "username"),
        (["partner", "alice", "--password-file", "PASSWORD_FILE"], "partner"),
    ],
)
def test_add_user_names_what_was_wrong_and_keeps_nothing(password_file, args, message):
    args = [password_file if arg == "PASSWORD_FILE" else arg for arg in args]
    with pytest.raises(CommandError, match=message):
        add_user(*args)
    assert not User.objects.exclude(username="bad name!").filter(is_superuser=False).exists()


def test_add_user_refuses_a_weak_password_with_the_validators_reason(tmp_path):
    weak = tmp_path / "weak"
    weak.write_text("password\n", encoding="utf-8")
    with pytest.raises(CommandError, match="too common"):
        add_user("reader", "alice", "--password-file", str(weak))
    assert not User.objects.filter(username="alice").exists()


def test_add_user_refuses_a_taken_username(password_file):
    add_user("reader", "alice", "--password-file", password_file)
    with pytest.raises(CommandError, match="already"):
        add_user("editor", "alice", "--password-file", password_file)
    assert not User.objects.get(username="alice").is_staff


def test_add_user_refuses_an_unknown_role(password_file):
    with pytest.raises(CommandError, match="reader, editor, administrator, partner"):
        add_user("owner", "alice", "--password-file", password_file)


def test_issue_token_create_makes_a_partner(records):
    out = io.StringIO()
    call_command("issue_token", "analyst", "--create", stdout=out, stderr=io.StringIO())
    analyst = User.objects.get(username="analyst")
    assert [group.name for group in analyst.groups.all()] == [roles.PARTNERS]
    api = APIClient(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    assert api.get(f"{API}/agreements/").status_code == HTTPStatus.OK
