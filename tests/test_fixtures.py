"""The article data: every fact cited verbatim, loaded safely, and right."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from tracker.choices import DatePrecision
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
from tracker.text import quote_occurs_in

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SEEDS = Path(settings.BASE_DIR) / "seeds"
ACCORD = "2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"
PARTNERSHIP = "2021-12-29-aba-technology-mmi-cluster-partnership"

CITED_MODELS = [
    Organisation,
    OrganisationLink,
    Person,
    Position,
    Agreement,
    AgreementParty,
    Commitment,
]


def load(*paths):
    out = io.StringIO()
    call_command("load_articles", *[str(p) for p in paths], stdout=out)
    return out.getvalue()


def table_snapshot():
    models = [*CITED_MODELS, Source, OrganisationName, Citation]
    return {
        model.__name__: sorted(map(str, model.objects.values_list(flat=False))) for model in models
    } | {f"{model.__name__}.history": model.history.count() for model in models}


def test_fixture_files_carry_no_primary_keys():
    for path in sorted(FIXTURES.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            assert "pk" not in entry, f"{path.name} {entry['fields']}"


def test_sources_are_the_seed_articles_with_their_metadata():
    metadata = {item["slug"]: item for item in json.loads((SEEDS / "metadata.json").read_text())}
    sources = json.loads((FIXTURES / "01_sources.json").read_text(encoding="utf-8"))
    assert len(sources) == 3
    for entry in sources:
        fields = entry["fields"]
        assert fields["text"] == (SEEDS / fields["seed_file"]).read_text(encoding="utf-8")
        meta = metadata[fields["slug"]]
        assert {k: fields[k] for k in meta} == meta


def test_every_quote_is_in_its_article_and_every_record_is_cited(article_data):
    citations = Citation.objects.select_related("source")
    assert citations.count() > 50
    for citation in citations:
        assert quote_occurs_in(citation.quote, citation.source.text), citation.quote
    for model in CITED_MODELS:
        uncited = model.objects.filter(citations__isnull=True)
        assert model.objects.exists(), model.__name__
        assert not uncited.exists(), f"{model.__name__} without a citation: {list(uncited)}"


def test_loaded_records_pass_validation_and_have_history(article_data):
    for model in [*CITED_MODELS, Source, Citation]:
        for record in model.objects.all():
            record.full_clean()
            assert record.history.exists()


def test_one_body_under_many_names_is_one_organisation(article_data):
    cluster = Organisation.objects.get(slug="mmi-cluster")
    for name in [
        "MMI Cluster",
        "Moroccan Medical & Biomedical Industrial Cluster",
        "Cluster médical",
        "CM",
        "Cluster of Moroccan Medical Industries",
        "cluster medical",
    ]:
        assert list(Organisation.objects.search(name)) == [cluster], name
    assert cluster.founded_on == datetime.date(2020, 7, 1)
    assert cluster.founded_on_precision == DatePrecision.MONTH


@pytest.mark.parametrize(
    "query, slug",
    [
        ("ministere de la sante", "ministere-sante-protection-sociale"),
        ("Ministry of Health", "ministere-sante-protection-sociale"),
        ("AMGS", "amgs"),
        ("Ministry of Industry and Trade", "ministere-industrie-commerce"),
        ("ministère de l’Industrie", "ministere-industrie-commerce"),
    ],
)
def test_search_finds_the_articles_bodies_by_any_of_their_names(article_data, query, slug):
    assert [o.slug for o in Organisation.objects.search(query)] == [slug]


def test_the_28_december_2021_accord(article_data):
    accord = Agreement.objects.get(slug=ACCORD)
    assert accord.signed_on == datetime.date(2021, 12, 28)
    assert set(accord.parties.values_list("organisation__slug", flat=True)) == {
        "ministere-industrie-commerce",
        "ministere-sante-protection-sociale",
        "amgs",
        "mmi-cluster",
    }
    promised = set(accord.commitments.values_list("party__slug", flat=True))
    assert promised == {
        "ministere-industrie-commerce",
        "ministere-sante-protection-sociale",
        "amgs",
        "mmi-cluster",
    }
    relative_date = accord.citations.get(quote__contains="le 28 décembre dernier")
    assert relative_date.source.page_dated_on == datetime.date(2024, 12, 3)
    assert relative_date.source.published_on is None


def test_the_wednesday_partnership_is_dated_from_its_article(article_data):
    partnership = Agreement.objects.get(slug=PARTNERSHIP)
    source = Source.objects.get(
        citations__agreement=partnership, citations__quote__contains="Wednesday"
    )
    assert source.published_on == datetime.date(2021, 12, 30)
    assert partnership.signed_on == datetime.date(2021, 12, 29)
    assert partnership.signed_on.strftime("%A") == "Wednesday"
    roles = dict(partnership.parties.values_list("organisation__slug", "role"))
    assert roles == {
        "aba-technology": "signatory",
        "mmi-cluster": "signatory",
        "ministere-industrie-commerce": "patron",
    }


def test_loading_twice_changes_nothing(article_data):
    before = table_snapshot()
    output = load()
    assert "0 records created" in output
    assert table_snapshot() == before


def test_loading_again_keeps_what_staff_edited_and_deleted(article_data):
    cluster = Organisation.objects.get(slug="mmi-cluster")
    cluster.description = "Edited by the secretariat."
    cluster.save()
    Person.objects.get(slug="ryad-mezzour").delete()
    load()
    assert Organisation.objects.get(slug="mmi-cluster").description == "Edited by the secretariat."
    assert not Person.objects.filter(slug="ryad-mezzour").exists()


def test_records_already_present_are_kept_not_overwritten(db):
    load(FIXTURES / "01_sources.json")
    Organisation.objects.create(slug="amgs", name="AMGS as staff typed it", kind="association")
    load(FIXTURES / "01_sources.json", FIXTURES / "02_organisations.json")
    assert Organisation.objects.get(slug="amgs").name == "AMGS as staff typed it"


def write_fixture(tmp_path, name, entries):
    path = tmp_path / name
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_quote_not_in_its_article_is_refused_and_nothing_is_loaded(db, tmp_path):
    sources = FIXTURES / "01_sources.json"
    organisations = write_fixture(
        tmp_path,
        "02_bad.json",
        [
            {
                "model": "tracker.organisation",
                "fields": {"slug": "good", "name": "Good", "kind": "company"},
            },
            {
                "model": "tracker.citation",
                "fields": {
                    "source": ["maroc-booster-fabrication-locale-dispositifs-medicaux"],
                    "quote": "Le Maroc a tout inventé",
                    "organisation": ["good"],
                },
            },
        ],
    )
    with pytest.raises(CommandError) as raised:
        load(sources, organisations)
    message = str(raised.value)
    assert "02_bad.json, record 2" in message
    assert "tracker.citation" in message and "does not occur" in message
    assert not Source.objects.exists()
    assert not Organisation.objects.exists()
    assert not LoadedFixtureRecord.objects.exists()


@pytest.mark.parametrize(
    "entries, expected",
    [
        ("not json", "not valid JSON"),
        ({"model": "tracker.organisation"}, "a JSON list"),
        (
            [
                {
                    "model": "tracker.organisation",
                    "fields": {"slug": "x", "name": "X", "kind": "spaceship"},
                }
            ],
            "record 1 (tracker.organisation 'x'): kind",
        ),
        (
            [
                {
                    "model": "tracker.organisation",
                    "pk": 7,
                    "fields": {"slug": "x", "name": "X", "kind": "company"},
                }
            ],
            "primary key",
        ),
        ([{"model": "tracker.nothing", "fields": {"slug": "x"}}], "record 1"),
        (
            [
                {
                    "model": "tracker.organisationname",
                    "fields": {
                        "organisation": ["nobody"],
                        "name": "N",
                        "kind": "variant",
                        "language": "fr",
                    },
                }
            ],
            "record 1 (tracker.organisationname 'N')",
        ),
        (
            [
                {
                    "model": "tracker.organisation",
                    "fields": {"slug": "x", "name": "", "kind": "company"},
                }
            ],
            "name: This field cannot be blank",
        ),
    ],
)
def test_malformed_fixtures_are_refused_with_a_message_naming_the_record(
    db, tmp_path, entries, expected
):
    path = tmp_path / "broken.json"
    path.write_text(entries if isinstance(entries, str) else json.dumps(entries), encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was loaded") as raised:
        load(path)
    assert expected in str(raised.value)
    assert not Organisation.objects.exists()


def test_a_commitment_by_a_non_party_is_refused(db, tmp_path):
    load(FIXTURES / "01_sources.json", FIXTURES / "02_organisations.json")
    path = write_fixture(
        tmp_path,
        "bad_commitment.json",
        [
            {"model": "tracker.agreement", "fields": {"slug": "a", "title": "A", "kind": "other"}},
            {
                "model": "tracker.commitment",
                "fields": {
                    "slug": "c",
                    "agreement": ["a"],
                    "party": ["amgs"],
                    "description": "Orders",
                    "category": "procurement",
                },
            },
        ],
    )
    with pytest.raises(CommandError, match="not a party of the agreement"):
        load(path)
    assert not Agreement.objects.exists()


def test_unknown_fixture_file_is_named(db):
    with pytest.raises(CommandError, match="No such fixture file: nowhere.json"):
        load("nowhere.json")


@pytest.mark.django_db(transaction=True)
def test_a_cache_failure_after_loading_commits_is_a_warning_not_a_traceback(settings):
    settings.CACHES = {
        **settings.CACHES,
        settings.TRACKER_API_CACHE_ALIAS: {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracker_cache_never_created",
        },
    }
    output, warnings = io.StringIO(), io.StringIO()
    call_command("load_articles", stdout=output, stderr=warnings)

    assert Organisation.objects.filter(slug="mmi-cluster").exists()
    created = Organisation.objects.count()
    assert "records created" in output.getvalue() and created
    assert "committed" in warnings.getvalue() and "cache" in warnings.getvalue()
    # Loading again finds everything loaded before: nothing was rolled back.
    assert "0 records created" in load()
