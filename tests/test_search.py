"""Search answers the same on SQLite and PostgreSQL, and PostgreSQL answers it from an index.

CI runs this module on both databases; each assertion below holds on whichever one runs it.
"""

import pytest
from django.db import connection

from tracker.devtools import factories
from tracker.models import Agreement, Commitment, Organisation, Person, Source

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
                set(model.objects.search(query).values_list("pk", flat=True))
                for query in group
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
