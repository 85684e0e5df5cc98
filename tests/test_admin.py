"""The admin as a staff member uses it: lists, search, add, change, history, refusals."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from tracker.devtools import factories
from tracker.models import (
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    LoadedFixtureRecord,
    Organisation,
    OrganisationLink,
    OrganisationName,
    Person,
    Position,
    Source,
)

pytestmark = pytest.mark.django_db

TRACKED = [Source, Organisation, OrganisationName, OrganisationLink, Person, Position,
           Agreement, AgreementParty, Commitment, Citation]


def changelist(model):
    return reverse(f"admin:tracker_{model._meta.model_name}_changelist")


def make_rows(count):
    """`count` rows of every model, each with its relations filled in."""
    for _ in range(count):
        commitment = factories.CommitmentFactory()
        factories.OrganisationNameFactory(organisation=commitment.party)
        factories.OrganisationLinkFactory(from_organisation=commitment.party)
        factories.PositionFactory(organisation=commitment.party)
        factories.CitationFactory(organisation=None, commitment=commitment)
        factories.CitationFactory(organisation=commitment.party)


@pytest.mark.parametrize("model", [*TRACKED, LoadedFixtureRecord])
def test_every_changelist_and_add_page_opens(admin_client, article_data, model):
    assert admin_client.get(changelist(model)).status_code == HTTPStatus.OK
    add = reverse(f"admin:tracker_{model._meta.model_name}_add")
    expected = HTTPStatus.FORBIDDEN if model is LoadedFixtureRecord else HTTPStatus.OK
    assert admin_client.get(add).status_code == expected


@pytest.mark.parametrize("model", TRACKED)
def test_changelist_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries, model):
    make_rows(1)
    with django_assert_max_num_queries(12) as few:
        assert admin_client.get(changelist(model)).status_code == HTTPStatus.OK
    make_rows(25)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = admin_client.get(changelist(model))
    assert response.status_code == HTTPStatus.OK
    assert response.context["cl"].result_count >= 26
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("query", ["ministere de la sante", "MINISTÈRE DE LA SANTÉ", "Ministry of Health"])
def test_admin_search_ignores_accents_and_finds_other_names(admin_client, article_data, query):
    response = admin_client.get(changelist(Organisation), {"q": query})
    assert [o.slug for o in response.context["cl"].result_list] == ["ministere-sante-protection-sociale"]


def test_admin_agreement_search_finds_agreements_by_party_acronym(admin_client, article_data):
    response = admin_client.get(changelist(Agreement), {"q": "AMGS"})
    slugs = [a.slug for a in response.context["cl"].result_list]
    assert slugs == ["2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"]


def test_autocomplete_search_is_accent_insensitive(admin_client, article_data):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "cluster medical", "app_label": "tracker", "model_name": "agreementparty",
         "field_name": "organisation"},
    )
    assert response.status_code == HTTPStatus.OK
    assert [item["text"] for item in response.json()["results"]] == [
        "Moroccan Medical & Biomedical Industrial Cluster (MMI)"
    ]


def inline_management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def agreement_form(**overrides):
    data = {
        "title": "Accord de test",
        "slug": "accord-de-test",
        "kind": "memorandum",
        "status": "signed",
        "signed_on": "2022-03-01",
        "signed_on_precision": "day",
        "place": "Rabat",
        "summary": "",
        **inline_management("parties"),
        **inline_management("commitments"),
        **inline_management("citations"),
    }
    data.update(overrides)
    return data


def test_staff_add_an_agreement_with_its_party_and_commitment_in_one_submission(admin_client):
    organisation = factories.OrganisationFactory()
    data = agreement_form(
        **inline_management("parties", total=1),
        **{"parties-0-organisation": organisation.pk, "parties-0-role": "signatory"},
        **inline_management("commitments", total=1),
        **{
            "commitments-0-slug": "orders",
            "commitments-0-party": organisation.pk,
            "commitments-0-description": "Place orders",
            "commitments-0-category": "procurement",
            "commitments-0-status": "announced",
        },
    )
    response = admin_client.post(reverse("admin:tracker_agreement_add"), data)
    assert response.status_code == HTTPStatus.FOUND, response.context["errors"]
    commitment = Commitment.objects.get(slug="orders")
    assert commitment.party == organisation
    assert commitment.agreement.history.count() == 1


def test_a_commitment_by_a_non_party_is_refused_on_the_agreement_page(admin_client):
    party, stranger = factories.OrganisationFactory(), factories.OrganisationFactory(name="Stranger Co")
    data = agreement_form(
        **inline_management("parties", total=1),
        **{"parties-0-organisation": party.pk, "parties-0-role": "signatory"},
        **inline_management("commitments", total=1),
        **{
            "commitments-0-slug": "orders",
            "commitments-0-party": stranger.pk,
            "commitments-0-description": "Place orders",
            "commitments-0-category": "procurement",
            "commitments-0-status": "announced",
        },
    )
    response = admin_client.post(reverse("admin:tracker_agreement_add"), data)
    assert response.status_code == HTTPStatus.OK
    assert "Stranger Co" in response.content.decode()
    assert "is not a party of the agreement" in response.content.decode()
    assert not Agreement.objects.exists()


def test_removing_a_party_that_made_commitments_is_refused_on_the_agreement_page(admin_client):
    commitment = factories.CommitmentFactory()
    agreement = commitment.agreement
    party = AgreementParty.objects.get(agreement=agreement)
    data = agreement_form(
        title=agreement.title,
        slug=agreement.slug,
        **inline_management("parties", total=1, initial=1),
        **{
            "parties-0-id": party.pk,
            "parties-0-agreement": agreement.pk,
            "parties-0-organisation": party.organisation_id,
            "parties-0-role": "signatory",
            "parties-0-DELETE": "on",
        },
        **inline_management("commitments", total=1, initial=1),
        **{
            "commitments-0-id": commitment.pk,
            "commitments-0-agreement": agreement.pk,
            "commitments-0-slug": commitment.slug,
            "commitments-0-party": commitment.party_id,
            "commitments-0-description": commitment.description,
            "commitments-0-category": commitment.category,
            "commitments-0-status": commitment.status,
        },
    )
    response = admin_client.post(reverse("admin:tracker_agreement_change", args=[agreement.pk]), data)
    assert response.status_code == HTTPStatus.OK
    assert "is not a party of the agreement" in response.content.decode()
    assert AgreementParty.objects.filter(pk=party.pk).exists()


def test_change_an_organisation_and_see_and_revert_it_in_history(admin_client, article_data):
    cluster = Organisation.objects.get(slug="mmi-cluster")
    url = reverse("admin:tracker_organisation_change", args=[cluster.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "description": "Edited by the secretariat.",
            "country": "MA",
            **inline_management("other_names", total=0, initial=0),
            **inline_management("links_out"),
            **inline_management("positions"),
            **inline_management("citations"),
        }
    )
    # Inline rows that exist must be posted back as they are.
    for prefix, rows, fields in [
        ("other_names", cluster.other_names.all(), ["name", "kind", "language"]),
        ("links_out", cluster.links_out.all(), ["kind", "to_organisation", "description"]),
        ("positions", cluster.positions.all(), ["person", "title"]),
        ("citations", cluster.citations.all(), ["source", "quote", "note"]),
    ]:
        data.update(inline_management(prefix, total=len(rows), initial=len(rows)))
        for index, row in enumerate(rows):
            data[f"{prefix}-{index}-id"] = row.pk
            for field in fields:
                value = getattr(row, f"{field}_id", None) or getattr(row, field)
                data[f"{prefix}-{index}-{field}"] = value
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context["errors"]

    history = admin_client.get(reverse("admin:tracker_organisation_history", args=[cluster.pk]))
    assert history.status_code == HTTPStatus.OK
    assert "Loaded from the article fixtures" in history.content.decode()
    first = cluster.history.earliest("history_date")
    revert_url = reverse(
        "admin:tracker_organisation_simple_history", args=[cluster.pk, first.history_id]
    )
    assert admin_client.get(revert_url).status_code == HTTPStatus.OK


def test_deleting_an_organisation_party_to_agreements_is_refused_clearly(admin_client, article_data):
    ministry = Organisation.objects.get(slug="ministere-industrie-commerce")
    url = reverse("admin:tracker_organisation_delete", args=[ministry.pk])
    page = admin_client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert "would require deleting the following protected related objects" in page.content.decode()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == HTTPStatus.OK
    assert Organisation.objects.filter(pk=ministry.pk).exists()


def test_deleting_a_party_that_made_commitments_is_refused_clearly(admin_client):
    commitment = factories.CommitmentFactory(description="Place orders for ventilators")
    party = AgreementParty.objects.get(agreement=commitment.agreement)
    url = reverse("admin:tracker_agreementparty_delete", args=[party.pk])
    page = admin_client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert "Place orders for ventilators" in page.content.decode()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == HTTPStatus.OK
    assert AgreementParty.objects.filter(pk=party.pk).exists()


def test_a_citation_quoting_words_the_source_lacks_is_refused(admin_client, article_data):
    source = Source.objects.get(slug="maroc-booster-fabrication-locale-dispositifs-medicaux")
    cluster = Organisation.objects.get(slug="mmi-cluster")
    response = admin_client.post(
        reverse("admin:tracker_citation_add"),
        {"source": source.pk, "quote": "Le cluster a 400 membres.", "note": "", "organisation": cluster.pk},
    )
    assert response.status_code == HTTPStatus.OK
    assert "does not occur in the text" in response.content.decode()


def test_staff_without_permission_cannot_open_the_admin_lists(client, django_user_model):
    user = django_user_model.objects.create_user("reader", password="pw-for-tests-only", is_staff=True)
    client.force_login(user)
    assert client.get(changelist(Organisation)).status_code == HTTPStatus.FORBIDDEN


def test_citations_can_be_listed_by_the_kind_of_record_they_support(admin_client, article_data):
    response = admin_client.get(changelist(Citation), {"supports": "commitment"})
    shown = response.context["cl"].result_list
    assert len(shown) == Citation.objects.filter(commitment__isnull=False).count() > 0
    assert all(citation.commitment_id for citation in shown)
