"""The reading desk: citing a selection of a source's text, for a new or an existing record."""

import re
from html import unescape
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.urls import reverse

from tracker import roles
from tracker.choices import CommitmentCategory, CommitmentStatus, OrganisationKind
from tracker.devtools import factories
from tracker.highlight import highlight
from tracker.models import (
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    Organisation,
    Person,
    Source,
)

TEXT = "Le ministère signe.\n\nPlus loin, le ministère signe encore.\r\nFin « du » texte.\n"


def runs(html):
    """(data-start, text) of every text run in the highlighted HTML."""
    return [
        (int(start), unescape(body))
        for start, body in re.findall(r'<span data-start="(\d+)">([^<]*)</span>', html)
    ]


# Offsets in the page -------------------------------------------------------------------------


def test_every_text_run_carries_its_offset_in_the_source_text():
    html = highlight(TEXT, [], lambda citation: ("#", ""))
    found = runs(html.html)
    assert found, "the text is cut into runs that carry their offsets"
    for start, body in found:
        assert TEXT[start : start + len(body)] == body
    covered = "".join(body for _start, body in found)
    assert "".join(TEXT.split()) == "".join(covered.split()), "no character is left out"


@pytest.mark.django_db
def test_a_citation_with_offsets_is_marked_where_it_was_selected_not_where_the_quote_first_occurs():
    source = factories.SourceFactory(text=TEXT)
    second = TEXT.index("le ministère signe encore") + 3
    citation = factories.CitationFactory(
        source=source, quote="ministère signe", start=second, end=second + len("ministère signe")
    )
    html = highlight(TEXT, [citation], lambda citation: ("#", "")).html
    marked = re.search(r'<mark id="citation-\d+"[^>]*>(.*?)</mark>', html).group(1)
    assert f'data-start="{second}"' in marked


# The desk's pages ---------------------------------------------------------------------------

ACCORD = "2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"
HEALTH = "ministere-sante-protection-sociale"
SOURCE_004 = "maroc-booster-fabrication-locale-dispositifs-medicaux"
SENTENCE = (
    "Le ministère de la Santé se chargera de mettre à la disposition des établissements "
    "industriels locaux toute l’expertise institutionnelle, le potentiel humain et technique "
    "qualifié pour les accompagner."
)


def editor(client, *codenames):
    user = User.objects.create_user("editor", password="x")
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    roles.assign(user, roles.READERS)
    client.force_login(user)
    return user


def selection_of(source, words, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = source.text.index(words, start + 1)
    return {"start": start, "end": start + len(words)}


def new_url(source, kind):
    return reverse("tracker:desk-new", kwargs={"slug": source.slug, "kind": kind})


def attach_url(source):
    return reverse("tracker:desk-attach", kwargs={"slug": source.slug})


@pytest.fixture
def accord_source(article_data):
    return Source.objects.get(slug=SOURCE_004)


@pytest.mark.django_db
def test_a_commitment_and_its_quote_are_saved_in_one_step_from_a_selection(client, accord_source):
    editor(client, "add_citation", "add_commitment")
    Commitment.objects.filter(slug="health-ministry-expertise-for-local-manufacturers").delete()
    chosen = selection_of(accord_source, SENTENCE)
    form = client.get(new_url(accord_source, "commitment"), chosen)
    assert form.status_code == HTTPStatus.OK
    assert form.context["form"].initial["description"] == SENTENCE
    response = client.post(
        new_url(accord_source, "commitment"),
        {
            **chosen,
            "description": SENTENCE,
            "agreement": ACCORD,
            "party": HEALTH,
            "category": CommitmentCategory.EXPERTISE,
            "status": CommitmentStatus.ANNOUNCED,
        },
    )
    commitment = Commitment.objects.get(description=SENTENCE)
    citation = commitment.citations.get()
    assert (citation.quote, citation.start, citation.end) == (
        SENTENCE,
        chosen["start"],
        chosen["end"],
    )
    assert commitment.slug.startswith("le-ministere-de-la-sante-se-chargera")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{accord_source.get_absolute_url()}#citation-{citation.pk}"


@pytest.mark.django_db
def test_the_quote_is_cut_from_the_text_never_taken_from_the_request(client, accord_source):
    editor(client, "add_citation", "add_person")
    chosen = selection_of(accord_source, "Cluster médical")
    client.post(
        new_url(accord_source, "person"),
        {**chosen, "name": "Someone", "quote": "words the article does not hold"},
    )
    assert Citation.objects.get(person__name="Someone").quote == "Cluster médical"


@pytest.mark.django_db
def test_spaces_around_a_selection_are_left_out_of_the_quote(client, accord_source):
    editor(client, "add_citation", "add_person")
    chosen = selection_of(accord_source, " Cluster médical (CM), ")
    client.post(new_url(accord_source, "person"), {**chosen, "name": "Someone"})
    citation = Citation.objects.get(person__name="Someone")
    assert citation.quote == "Cluster médical (CM),"
    assert accord_source.text[citation.start : citation.end] == citation.quote


@pytest.mark.django_db
@pytest.mark.parametrize(
    "offsets, message",
    [
        ({"start": 10, "end": 10}, "does not lie within the text"),
        ({"start": 20, "end": 5}, "does not lie within the text"),
        ({"start": 0, "end": 10**6}, "does not lie within the text"),
        ({"start": -1, "end": 5}, "greater than or equal to 0"),
        ({"start": "ten", "end": 5}, "Enter a whole number"),
        ({}, "This field is required"),
    ],
)
def test_offsets_outside_the_text_are_refused_with_a_message_and_nothing_is_saved(
    client, accord_source, offsets, message
):
    editor(client, "add_citation", "add_person")
    before = Citation.objects.count(), Person.objects.count()
    response = client.post(new_url(accord_source, "person"), {**offsets, "name": "Someone"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert (Citation.objects.count(), Person.objects.count()) == before
    assert client.get(new_url(accord_source, "person"), offsets).status_code == 400


@pytest.mark.django_db
def test_a_selection_of_only_spaces_is_refused(client, accord_source):
    editor(client, "add_citation", "add_person")
    blank = accord_source.text.index("\n\n")
    response = client.post(
        new_url(accord_source, "person"), {"start": blank, "end": blank + 2, "name": "Someone"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "only spaces" in response.content.decode()
    assert not Person.objects.filter(name="Someone").exists()


@pytest.mark.django_db
def test_a_record_the_model_refuses_keeps_nothing_and_names_the_field(client, accord_source):
    editor(client, "add_citation", "add_commitment")
    chosen = selection_of(accord_source, SENTENCE)
    before = Citation.objects.count(), Commitment.objects.count()
    response = client.post(
        new_url(accord_source, "commitment"),
        {
            **chosen,
            "description": SENTENCE,
            "agreement": ACCORD,
            "party": "aba-technology",  # not a party of the accord
            "category": CommitmentCategory.EXPERTISE,
            "status": CommitmentStatus.ANNOUNCED,
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert "not a party of the agreement" in " ".join(response.context["form"].errors["party"])
    assert (Citation.objects.count(), Commitment.objects.count()) == before


@pytest.mark.django_db
def test_a_citation_the_model_refuses_rolls_back_the_new_record(client, accord_source, monkeypatch):
    """The record is saved first, then its citation: a refused citation undoes the record."""
    editor(client, "add_citation", "add_organisation")

    def refuse(self, *args, **kwargs):
        raise ValidationError({"quote": "refused for the test"})

    monkeypatch.setattr(Citation, "full_clean", refuse)
    response = client.post(
        new_url(accord_source, "organisation"),
        {
            **selection_of(accord_source, "Cluster médical"),
            "name": "Cluster médical bis",
            "kind": OrganisationKind.CLUSTER,
            "country": "MA",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert "refused for the test" in response.content.decode()
    assert not Organisation.objects.filter(name="Cluster médical bis").exists()


@pytest.mark.django_db
def test_each_kind_of_record_can_be_created_with_its_citation(client, accord_source):
    editor(
        client,
        "add_citation",
        *(f"add_{model}" for model in ("organisation", "person", "position", "agreement")),
        "add_agreementparty",
        "add_commitment",
    )
    words = selection_of(accord_source, "Cluster médical (CM)")
    posts = [
        ("organisation", {"name": "Cluster médical", "kind": "cluster", "country": "MA"}),
        ("person", {"name": "Mounir Idder"}),
        (
            "agreement",
            {
                "title": "Accord médical",
                "kind": "other",
                "status": "signed",
                "signed_on_precision": "day",
            },
        ),
    ]
    for kind, data in posts:
        response = client.post(new_url(accord_source, kind), {**words, **data})
        assert response.status_code == HTTPStatus.FOUND, response.context["form"].errors
    organisation = Organisation.objects.get(slug="cluster-medical")
    person = Person.objects.filter(name="Mounir Idder").latest("pk")
    assert person.slug == "mounir-idder-2", "the fixtures hold one already"
    agreement = Agreement.objects.get(slug="accord-medical")
    posts = [
        (
            "position",
            {"person": person.slug, "organisation": organisation.slug, "title": "Directeur"},
        ),
        (
            "party",
            {"agreement": agreement.slug, "organisation": organisation.slug, "role": "signatory"},
        ),
        (
            "commitment",
            {
                "agreement": agreement.slug,
                "party": organisation.slug,
                "description": "Accompagner",
                "category": "support",
                "status": "announced",
            },
        ),
    ]
    for kind, data in posts:
        response = client.post(new_url(accord_source, kind), {**words, **data})
        assert response.status_code == HTTPStatus.FOUND, response.context["form"].errors
    cited = Citation.objects.filter(source=accord_source, start=words["start"])
    assert {citation.target_name for citation in cited} == {
        "organisation",
        "person",
        "position",
        "agreement",
        "agreement_party",
        "commitment",
    }


@pytest.mark.django_db
def test_the_create_form_is_prefilled_from_the_selection_and_the_proposed_name(
    client, accord_source
):
    editor(client, "add_citation", "add_organisation", "add_commitment")
    chosen = selection_of(accord_source, "Cluster médical (CM)")
    form = client.get(new_url(accord_source, "organisation"), chosen).context["form"]
    assert form.initial["name"] == "Cluster médical (CM)"
    named = client.get(
        new_url(accord_source, "organisation"), {**chosen, "name": "Cluster médical"}
    )
    assert named.context["form"].initial["name"] == "Cluster médical"
    commitment = client.get(new_url(accord_source, "commitment"), {**chosen, "agreement": ACCORD})
    assert commitment.context["form"].initial["agreement"] == ACCORD


@pytest.mark.django_db
def test_a_selection_is_cited_for_an_existing_record_of_any_kind(client, accord_source):
    editor(client, "add_citation", "change_agreementparty", "change_organisation")
    party = AgreementParty.objects.get(agreement__slug=ACCORD, organisation__slug=HEALTH)
    found = client.get(
        reverse("tracker:desk-records", kwargs={"slug": accord_source.slug}), {"q": "sante"}
    ).json()["results"]
    assert f"party:{party.pk}" in {item["value"] for item in found}
    assert any(item["value"].startswith("organisation:") for item in found)
    chosen = selection_of(accord_source, "Le ministère de la Santé", nth=0)
    page = client.get(attach_url(accord_source), {**chosen, "q": "sante"})
    assert f'value="party:{party.pk}"' in page.content.decode()
    response = client.post(attach_url(accord_source), {**chosen, "record": f"party:{party.pk}"})
    assert response.status_code == HTTPStatus.FOUND
    citation = party.citations.get(start=chosen["start"])
    assert citation.quote == "Le ministère de la Santé"


@pytest.mark.django_db
def test_citing_the_same_quote_twice_for_one_record_says_so(client, accord_source):
    editor(client, "add_citation", "change_organisation")
    health = Organisation.objects.get(slug=HEALTH)
    chosen = selection_of(accord_source, "Le ministère de la Santé")
    client.post(attach_url(accord_source), {**chosen, "record": f"organisation:{health.pk}"})
    count = Citation.objects.count()
    again = client.post(
        attach_url(accord_source), {**chosen, "record": f"organisation:{health.pk}"}
    )
    assert again.status_code == HTTPStatus.OK
    assert "already cites this quote" in again.content.decode()
    assert Citation.objects.count() == count


@pytest.mark.django_db
def test_an_unknown_record_to_cite_for_is_refused_with_a_message(client, accord_source):
    editor(client, "add_citation", "change_organisation")
    chosen = selection_of(accord_source, "Le ministère de la Santé")
    for value in ("organisation:999999", "nothing:1", "organisation"):
        response = client.post(attach_url(accord_source), {**chosen, "record": value, "q": "x"})
        assert response.status_code == HTTPStatus.OK
        assert response.context["form"].errors["record"]


# Permissions ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reader_sees_no_desk_and_gets_403_from_its_pages(client, accord_source):
    editor(client)  # signed in, with no permission
    page = client.get(accord_source.get_absolute_url()).content.decode()
    assert 'id="desk-panel"' not in page and "/desk/" not in page
    chosen = selection_of(accord_source, "Cluster médical")
    assert client.get(new_url(accord_source, "organisation"), chosen).status_code == 403
    response = client.post(
        new_url(accord_source, "organisation"),
        {**chosen, "name": "X", "kind": "cluster", "country": "MA"},
    )
    assert response.status_code == 403
    assert client.post(attach_url(accord_source), chosen).status_code == 403
    records = reverse("tracker:desk-records", kwargs={"slug": accord_source.slug})
    assert client.get(records, {"q": "sante"}).status_code == 403
    assert not Organisation.objects.filter(name="X").exists()


@pytest.mark.django_db
def test_citing_needs_the_permission_to_add_or_change_that_kind_of_record(client, accord_source):
    editor(client, "add_citation", "add_person")
    chosen = selection_of(accord_source, "Cluster médical")
    assert client.get(new_url(accord_source, "person"), chosen).status_code == 200
    assert client.get(new_url(accord_source, "organisation"), chosen).status_code == 403
    health = Organisation.objects.get(slug=HEALTH)
    response = client.post(
        attach_url(accord_source), {**chosen, "record": f"organisation:{health.pk}"}
    )
    assert response.status_code == 403
    page = client.get(accord_source.get_absolute_url()).content.decode()
    assert new_url(accord_source, "person") in page
    assert new_url(accord_source, "organisation") not in page


@pytest.mark.django_db
def test_the_desk_refuses_a_post_without_its_csrf_token(accord_source):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    editor(client, "add_citation", "add_person")
    response = client.post(
        new_url(accord_source, "person"), {**selection_of(accord_source, "Cluster"), "name": "X"}
    )
    assert response.status_code == 403
    assert not Person.objects.filter(name="X").exists()


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_log_in(client, accord_source, settings):
    settings.TRACKER_PUBLIC_READ = True
    response = client.get(new_url(accord_source, "person"), selection_of(accord_source, "Cluster"))
    assert response.status_code == HTTPStatus.FOUND and "login" in response["Location"]
    assert 'id="desk-panel"' not in client.get(accord_source.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_an_editor_sees_the_desk_in_french(client, accord_source):
    editor(client, "add_citation", "add_commitment")
    page = client.get(accord_source.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'id="desk-panel"' in page and "Citer un passage" in page


@pytest.mark.django_db
def test_finding_records_to_cite_costs_one_query_per_kind_however_many_match(client, accord_source):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    editor(client, "add_citation", "change_organisation")
    records = reverse("tracker:desk-records", kwargs={"slug": accord_source.slug})
    client.get(records, {"q": "amgs"})  # the user's permissions are loaded once per request
    counts = {}
    for query in ("amgs", "sante", "de"):
        with CaptureQueriesContext(connection) as queries:
            found = client.get(records, {"q": query}).json()["results"]
        counts[query] = (len(queries), len(found))
    assert counts["de"][1] > 3 * counts["amgs"][1], counts
    assert len({number for number, _found in counts.values()}) == 1, counts


@pytest.mark.django_db
def test_a_selection_cited_for_a_record_can_report_a_field_s_value(client, accord_source):
    editor(client, "add_citation", "change_agreement")
    accord = Agreement.objects.get(slug=ACCORD)
    chosen = selection_of(accord_source, "le 28 décembre dernier")
    record = f"agreement:{accord.pk}"
    count = Citation.objects.count()
    refused = client.post(
        attach_url(accord_source),
        {**chosen, "record": record, "q": "accord", "field": "signed_on", "value": "28 déc."},
    )
    assert refused.status_code == HTTPStatus.OK
    assert "YYYY-MM-DD" in " ".join(refused.context["form"].errors["value"])
    assert Citation.objects.count() == count
    response = client.post(
        attach_url(accord_source),
        {**chosen, "record": record, "field": "signed_on", "value": "2021-12-28"},
    )
    assert response.status_code == HTTPStatus.FOUND
    citation = accord.citations.get(start=chosen["start"])
    assert (citation.field, citation.value) == ("signed_on", "2021-12-28")
