"""Search answers the same on SQLite and PostgreSQL, from an index on PostgreSQL, within bounds.

CI runs this module on both databases; each assertion below holds on whichever one runs it.
"""

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import TRACKED
from tracker.devtools import factories
from tracker.models import (
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    Organisation,
    OrganisationLink,
    Person,
    Position,
    Source,
)
from tracker.text import fold

pytestmark = pytest.mark.django_db

SEARCHABLE = [Organisation, Person, Agreement, Commitment, Source]


@pytest.fixture
def accented_records():
    """One record of each searchable kind whose words carry accents, capitals and ligatures."""
    words = "École du Cœur, Ministère"
    return {
        Organisation: factories.OrganisationFactory(name=words, acronym=""),
        Person: factories.PersonFactory(name=f"Amina {words}"),
        Agreement: factories.AgreementFactory(title=f"Convention {words}", place=""),
        Commitment: factories.CommitmentFactory(description=f"Former les équipes, {words}"),
        Source: factories.SourceFactory(title=f"Dépêche {words}", outlet="", text="Texte."),
    }


@pytest.fixture
def plain_records():
    """Records of each kind that none of the accented words should find."""
    return [
        factories.OrganisationFactory(name="Unrelated body", acronym=""),
        factories.PersonFactory(name="Someone Else"),
        factories.AgreementFactory(title="Another accord", place=""),
        factories.CommitmentFactory(description="Build a plant"),
        factories.SourceFactory(title="Other news", outlet="", text="Nothing here."),
    ]


@pytest.mark.parametrize(
    "query",
    ["école", "ECOLE", "Ecole", "cœur", "coeur", "CŒUR", "Ministère", "ministere", "MINISTÈRE"],
)
@pytest.mark.parametrize("model", SEARCHABLE, ids=lambda model: model.__name__)
def test_accent_case_and_ligature_variants_find_the_same_record(
    model, query, accented_records, plain_records
):
    assert list(model.objects.search(query)) == [accented_records[model]]


def test_every_variant_finds_the_same_records_on_this_database(accented_records, plain_records):
    variants = [["école", "ECOLE", "Ecole"], ["cœur", "coeur"], ["Ministère", "ministere"]]
    for model in SEARCHABLE:
        for group in variants:
            found = [
                set(model.objects.search(query).values_list("pk", flat=True)) for query in group
            ]
            assert found == [found[0]] * len(group), (model.__name__, group)


@pytest.mark.parametrize("query", ["%", "_", "50%", "a_b"])
def test_like_wildcards_in_a_query_are_plain_characters(query):
    literal = factories.OrganisationFactory(name="Remise de 50% sur a_b", acronym="")
    factories.OrganisationFactory(name="Remise totale sur axb", acronym="")
    assert list(Organisation.objects.search(query)) == [literal]


def trigram_indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname FROM pg_indexes "
            "WHERE indexname LIKE %s AND indexdef LIKE %s",
            ["%_search_trgm", "%gin_trgm_ops%"],
        )
        return dict(cursor.fetchall())


def test_search_columns_are_indexed_on_postgresql_and_left_alone_on_sqlite():
    if connection.vendor == "postgresql":
        assert trigram_indexes() == {
            "tracker_organisation": "organisation_search_trgm",
            "tracker_person": "person_search_trgm",
            "tracker_agreement": "agreement_search_trgm",
            "tracker_commitment": "commitment_search_trgm",
            "tracker_source": "source_search_trgm",
        }
    else:
        with connection.cursor() as cursor:
            names = [
                index
                for table in ("tracker_organisation", "tracker_source")
                for index in connection.introspection.get_constraints(cursor, table)
            ]
        assert not [name for name in names if name.endswith("_search_trgm")]


@pytest.mark.parametrize("model", SEARCHABLE, ids=lambda model: model.__name__)
def test_postgresql_can_answer_a_search_from_its_trigram_index(model):
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only; this run is on " + connection.vendor)
    queryset = model.objects.search("ministere").only("pk")
    with connection.cursor() as cursor:
        # On a handful of rows reading the table (or walking any other index) is cheaper;
        # forbid both to see whether the trigram index can serve the query at all. At scale
        # the planner picks it by itself.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"{model._meta.model_name}_search_trgm" in plan, plan


# Cost and bounds ----------------------------------------------------------------------------

ADMIN_SEARCHED = TRACKED
# A title as staff paste it: thirty different words, short enough to be a person's name too.
LONG_QUERY = (
    "Accord de partenariat pour le développement du sourcing local des dispositifs médicaux "
    "au Maroc signé le 28 décembre 2021 entre ministères cluster groupes santé sociale "
    "industrie AMGS MMI CNSS et la"
)
THOUSAND_WORDS = " ".join(f"mot{number}" for number in range(1000))
UI_LISTS = ["/agreements/", "/organisations/", "/people/", "/commitments/", "/sources/", "/map/"]
API_LISTS = ["organisations", "people", "agreements", "commitments", "sources"]


def test_the_long_query_has_thirty_different_words():
    assert len(set(fold(LONG_QUERY).split())) == 30


@pytest.fixture
def searched_rows():
    """A few rows of every searched model, each with its relations, one matching every word."""
    for _ in range(3):
        commitment = factories.CommitmentFactory()
        factories.AgreementPartyFactory(agreement=commitment.agreement)
        factories.OrganisationNameFactory(organisation=commitment.party)
        factories.OrganisationLinkFactory(from_organisation=commitment.party)
        factories.PositionFactory(organisation=commitment.party)
        factories.CitationFactory(organisation=commitment.party)
        factories.CommitmentReportFactory(commitment=commitment)
    named = factories.OrganisationFactory(name=LONG_QUERY)
    factories.AgreementPartyFactory(
        agreement=factories.AgreementFactory(title=LONG_QUERY), organisation=named
    )
    factories.OrganisationNameFactory(organisation=named)
    factories.OrganisationLinkFactory(from_organisation=named)
    factories.PositionFactory(organisation=named, person=factories.PersonFactory(name=LONG_QUERY))
    factories.CommitmentReportFactory(
        commitment=factories.CommitmentFactory(description=LONG_QUERY)
    )
    factories.CitationFactory(source=factories.SourceFactory(title=LONG_QUERY))
    return named


def joins_in(captured):
    return sum(query["sql"].upper().count(" JOIN ") for query in captured.captured_queries)


def captured_get(client, url, params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == HTTPStatus.OK, (url, response.status_code)
    return response, captured


@pytest.mark.parametrize("model", ADMIN_SEARCHED, ids=lambda model: model.__name__)
def test_admin_search_cost_does_not_grow_with_words(admin_client, searched_rows, model):
    url = reverse(f"admin:tracker_{model._meta.model_name}_changelist")
    _response, one_word = captured_get(admin_client, url, {"q": "accord"})
    response, thirty_words = captured_get(admin_client, url, {"q": LONG_QUERY})
    assert len(thirty_words.captured_queries) == len(one_word.captured_queries)
    assert joins_in(thirty_words) == joins_in(one_word), thirty_words.captured_queries
    assert not response.context["messages"] or not list(response.context["messages"])


AUTOCOMPLETED = [
    # (model searched, a model and field whose form autocompletes it)
    (Organisation, "agreementparty", "organisation"),
    (Agreement, "agreementparty", "agreement"),
    (Person, "position", "person"),
    (Source, "citation", "source"),
    (Position, "citation", "position"),
    (AgreementParty, "citation", "agreement_party"),
    (OrganisationLink, "citation", "organisation_link"),
    (Commitment, "citation", "commitment"),
]


@pytest.mark.parametrize(
    ("model", "form_model", "field"), AUTOCOMPLETED, ids=[row[0].__name__ for row in AUTOCOMPLETED]
)
def test_admin_autocomplete_cost_does_not_grow_with_words(
    admin_client, searched_rows, model, form_model, field
):
    def autocomplete(term):
        params = {
            "term": term,
            "app_label": "tracker",
            "model_name": form_model,
            "field_name": field,
        }
        return captured_get(admin_client, reverse("admin:autocomplete"), params)

    _response, one_word = autocomplete("accord")
    response, thirty_words = autocomplete(LONG_QUERY)
    assert len(thirty_words.captured_queries) == len(one_word.captured_queries)
    assert joins_in(thirty_words) == joins_in(one_word), thirty_words.captured_queries


def test_admin_agreement_search_matches_words_spread_over_the_title_and_parties(admin_client):
    wanted = factories.AgreementPartyFactory(
        agreement=factories.AgreementFactory(title="Convention de sourcing local"),
        organisation=factories.OrganisationFactory(name="Cluster médical", acronym="MMI"),
    ).agreement
    factories.AgreementPartyFactory(
        agreement=factories.AgreementFactory(title="Convention de sourcing"),
        organisation=factories.OrganisationFactory(name="Autre groupe", acronym=""),
    )
    url = reverse("admin:tracker_agreement_changelist")
    response = admin_client.get(url, {"q": "MMI local convention médical"})
    assert list(response.context["cl"].result_list) == [wanted]
    assert list(Agreement.objects.search("MMI local convention médical")) == [wanted]


@pytest.mark.parametrize("model", ADMIN_SEARCHED, ids=lambda model: model.__name__)
def test_admin_changelist_finds_what_the_records_search_finds(admin_client, searched_rows, model):
    url = reverse(f"admin:tracker_{model._meta.model_name}_changelist")
    response = admin_client.get(url, {"q": LONG_QUERY})
    found = {row.pk for row in response.context["cl"].result_list}
    assert found == set(model.objects.search(LONG_QUERY).values_list("pk", flat=True))
    assert found, "the row named by every word is found"


def test_citation_search_finds_words_of_the_quote_as_typed_and_of_the_source_folded():
    source = factories.SourceFactory(title="Dépêche de la santé", text="Le ministère a signé.")
    wanted = factories.CitationFactory(source=source, quote="ministère a signé")
    factories.CitationFactory(quote="Autre chose")
    assert list(Citation.objects.search("ministère DEPECHE")) == [wanted]


# The bound --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", UI_LISTS)
def test_a_thousand_word_search_is_a_form_error_naming_q_not_a_500(admin_client, url):
    factories.AgreementPartyFactory()
    response = admin_client.get(url, {"q": THOUSAND_WORDS})
    assert response.status_code == HTTPStatus.OK
    errors = response.context["filterset"].form.errors
    assert list(errors) == ["q"]
    assert "at most" in " ".join(errors["q"])


@pytest.mark.parametrize("url", UI_LISTS[:-1])
def test_a_thousand_word_search_in_a_csv_export_names_q(admin_client, url):
    response = admin_client.get(url, {"q": THOUSAND_WORDS, "format": "csv"})
    body = (
        b"".join(response.streaming_content).decode("utf-8-sig")
        if response.streaming
        else (response.content.decode())
    )
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)
    assert "at most" in body


@pytest.mark.parametrize("resource", API_LISTS)
def test_a_thousand_word_search_on_the_api_is_a_json_400_naming_q(admin_client, resource):
    response = admin_client.get(f"/api/v1/{resource}/", {"q": THOUSAND_WORDS})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["detail"] == "Invalid parameter: q."
    assert "at most" in " ".join(body["errors"]["q"])


@pytest.mark.parametrize("kind", ["organisations", "agreements", "people", "sources"])
def test_a_thousand_word_suggestion_query_is_a_json_400(admin_client, kind):
    response = admin_client.get(f"/suggest/{kind}/", {"q": THOUSAND_WORDS})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most" in response.json()["error"]


def test_a_search_of_the_maximum_words_is_answered(admin_client):
    from tracker.querysets import MAX_SEARCH_TERMS

    words = " ".join(f"mot{number}" for number in range(MAX_SEARCH_TERMS))
    wanted = factories.OrganisationFactory(name=words, acronym="")
    response = admin_client.get("/organisations/", {"q": words})
    assert not response.context["filterset"].form.errors
    assert list(response.context["object_list"]) == [wanted]
    one_more = f"{words} mot{MAX_SEARCH_TERMS}"
    response = admin_client.get("/organisations/", {"q": one_more})
    assert f"at most {MAX_SEARCH_TERMS} different words" in " ".join(
        response.context["filterset"].form.errors["q"]
    )


def test_a_word_repeated_counts_once_towards_the_maximum(admin_client):
    factories.OrganisationFactory(name="Ministère de la santé", acronym="")
    response = admin_client.get("/organisations/", {"q": " ".join(["de"] * 100)})
    assert not response.context["filterset"].form.errors
    assert len(response.context["object_list"]) == 1


def test_a_search_longer_than_the_maximum_characters_is_refused(admin_client):
    from tracker.querysets import MAX_SEARCH_LENGTH

    response = admin_client.get("/organisations/", {"q": "x" * (MAX_SEARCH_LENGTH + 1)})
    assert f"at most {MAX_SEARCH_LENGTH} characters" in " ".join(
        response.context["filterset"].form.errors["q"]
    )


def test_admin_search_beyond_the_maximum_words_searches_the_first_and_says_so(admin_client):
    from tracker.querysets import MAX_SEARCH_TERMS

    wanted = factories.OrganisationFactory(name="mot0 mot1", acronym="")
    url = reverse("admin:tracker_organisation_changelist")
    response = admin_client.get(url, {"q": THOUSAND_WORDS.replace("mot2 ", "mot1 ", 1)})
    assert response.status_code == HTTPStatus.OK
    assert list(response.context["cl"].result_list) == []  # mot2… are searched too
    response = admin_client.get(url, {"q": "mot0 mot1 " + " ".join(["mot1"] * 2000)})
    assert list(response.context["cl"].result_list) == [wanted]
    response = admin_client.get(url, {"q": THOUSAND_WORDS})
    notices = [str(message) for message in response.context["messages"]]
    assert any(
        f"first {MAX_SEARCH_TERMS} different words" in notice and "ignored" in notice
        for notice in notices
    ), notices


def test_admin_autocomplete_of_a_thousand_words_answers(admin_client):
    factories.AgreementPartyFactory()
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": THOUSAND_WORDS,
            "app_label": "tracker",
            "model_name": "agreementparty",
            "field_name": "agreement",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["results"] == []


# Null characters --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["organisations", "agreements", "people", "sources"])
def test_a_null_character_in_a_suggestion_query_is_a_json_400(admin_client, kind):
    response = admin_client.get(f"/suggest/{kind}/", {"q": "san\x00te"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Null characters" in response.json()["error"]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/agreements/", "party"),
        ("/agreements/", "source"),
        ("/organisations/", "related_to"),
        ("/organisations/", "party_to"),
        ("/people/", "organisation"),
        ("/commitments/", "agreement"),
        ("/commitments/", "party"),
        ("/map/", "party"),
        ("/agreements/", "q"),
    ],
)
def test_a_null_character_in_a_ui_filter_is_a_form_error_naming_it(admin_client, url, name):
    response = admin_client.get(url, {name: "sant\x00e"})
    assert response.status_code == HTTPStatus.OK
    errors = response.context["filterset"].form.errors
    assert list(errors) == [name]
    assert "Null characters" in " ".join(errors[name])


def test_a_null_character_in_the_admin_autocomplete_term_is_not_a_500(admin_client):
    party = factories.AgreementPartyFactory(organisation__name="Cluster santé")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "cluster\x00",
            "app_label": "tracker",
            "model_name": "agreementparty",
            "field_name": "organisation",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert [item["id"] for item in response.json()["results"]] == [str(party.organisation.pk)]


def test_a_null_character_in_the_admin_search_is_ignored_and_said(admin_client):
    wanted = factories.OrganisationFactory(name="Cluster santé", acronym="")
    url = reverse("admin:tracker_organisation_changelist")
    response = admin_client.get(url, {"q": "cluster\x00"})
    assert response.status_code == HTTPStatus.OK
    assert list(response.context["cl"].result_list) == [wanted]
    assert any("null" in str(message).lower() for message in response.context["messages"])


# Arabic ------------------------------------------------------------------------------------

MINISTRY_IN_ARABIC = "وزارة الصناعة والتجارة"


@pytest.mark.parametrize(
    "query",
    [
        "وزارة الصناعة",  # as recorded
        "وِزَارَةُ الصِّنَاعَةِ",  # with its short vowels (tashkeel)
        "وزارة الصـــناعة",  # stretched with tatweel
        "وزاره الصناعه",  # taa marbuta typed as haa
    ],
)
def test_an_arabic_name_is_found_whatever_its_vowel_marks_tatweel_or_letter_variants(
    admin_client, query
):
    industry = factories.OrganisationFactory(
        slug="ministere-industrie", name="Ministère de l'Industrie et du Commerce", acronym=""
    )
    industry.other_names.create(name=MINISTRY_IN_ARABIC, kind="translation", language="ar")
    factories.OrganisationFactory(name="وزارة الصحة", acronym="")  # the Ministry of Health
    assert list(Organisation.objects.search(query)) == [industry]
    listed = admin_client.get(reverse("tracker:organisation-list"), {"q": query})
    assert [row.slug for row in listed.context["object_list"]] == ["ministere-industrie"]
    api = admin_client.get("/api/v1/organisations/", {"q": query}).json()
    assert [row["slug"] for row in api["results"]] == ["ministere-industrie"]


@pytest.mark.parametrize(
    ("written", "typed"),
    [("أحمد", "احمد"), ("إدريس", "ادريس"), ("آمنة", "امنه"), ("مصطفى", "مصطفي")],
)
def test_arabic_alef_yaa_and_taa_marbuta_variants_find_the_same_person(written, typed):
    person = factories.PersonFactory(name=written)
    assert list(Person.objects.search(typed)) == [person]
    assert fold(written) == fold(typed)


def test_arabic_search_columns_written_before_these_folds_are_folded_again_by_migrate():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("tracker.migrations.0014_fold_arabic_search_text")
    industry = factories.OrganisationFactory(name="Ministère de l'Industrie", acronym="")
    industry.other_names.create(name="وزارة الصـناعة", kind="translation", language="ar")
    # What the search column held when tatweel and taa marbuta were not folded.
    Organisation.objects.filter(pk=industry.pk).update(
        search_text="ministere de l'industrie | وزارة الصـناعة"
    )
    assert not Organisation.objects.search("وزاره الصناعه").exists()
    migration.refold_arabic(apps, None)
    assert list(Organisation.objects.search("وزاره الصناعه")) == [industry]
