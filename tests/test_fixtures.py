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


# A line-by-line reading of the articles: each record says what its article says, no more --

CHANTIERS = "trois-chantiers-majeurs-marocain-medical-cluster"
BOOSTER = "maroc-booster-fabrication-locale-dispositifs-medicaux"
ABA_ARTICLE = "aba-technology-mmi-cluster-made-in-morocco"


def paragraphs(text):
    """An article's paragraphs after its title, as a reader counts them."""
    return [block for block in text.split("\n\n") if block.strip()][1:]


def test_source_note_puts_the_market_figures_in_the_eighth_paragraph(article_data):
    source = Source.objects.get(slug=CHANTIERS)
    assert "eighth paragraph" in source.notes and "fifth paragraph" not in source.notes
    eighth, fifth = paragraphs(source.text)[7], paragraphs(source.text)[4]
    assert "2.5 million dollars" in eighth and "respiratores artificiels" in fifth


def test_amgs_orders_commitment_adds_nothing_to_what_the_text_says(article_data):
    commitment = Commitment.objects.get(slug="amgs-place-orders")
    assert "buyers" not in commitment.description
    assert commitment.citations.filter(quote__contains="engagés à passer commandes").exists()


def test_cluster_party_citation_on_the_accord_names_the_cluster(article_data):
    party = AgreementParty.objects.get(agreement__slug=ACCORD, organisation__slug="mmi-cluster")
    cluster = party.organisation
    names = [cluster.name, *cluster.other_names.values_list("name", flat=True)]
    for citation in party.citations.all():
        assert any(name in citation.quote for name in names), citation.quote
    assert party.citations.filter(
        source__slug=CHANTIERS, quote__contains="nous-mêmes, the Cluster of Moroccan Medical"
    ).exists()


@pytest.mark.parametrize("slug", ["nextronic", "mediot", "nextcor"])
def test_aba_s_industrial_engines_are_not_called_subsidiaries_without_saying_so(article_data, slug):
    link = OrganisationLink.objects.get(from_organisation__slug=slug)
    assert link.to_organisation.slug == "aba-technology"
    if link.kind == "subsidiary_of":
        assert "inference" in link.description and "industrial engines" in link.description
    assert link.citations.filter(quote__contains="industrial engines").exists()
    engine = Organisation.objects.get(slug=slug)
    assert engine.country != "MA"  # the article does not say where they are
    assert "not stated" in engine.description


def test_short_names_are_variants_not_translations(article_data):
    kinds = dict(OrganisationName.objects.values_list("name", "kind"))
    assert kinds["Cluster médical"] == "variant"
    assert kinds["Ministry of Health"] == "variant"


def test_aba_s_health_tech_commitment_and_know_how_transfer_are_recorded(article_data):
    aba = Commitment.objects.filter(agreement__slug=PARTNERSHIP, party__slug="aba-technology")
    destination = aba.get(citations__quote__contains="a destination in the field of health-tech")
    assert "health-tech" in destination.description
    transfer = aba.get(citations__quote__contains="transfer of technological and industrial")
    assert "know-how" in transfer.description
    assert "not say" in transfer.description  # who transfers to whom is not stated


def test_manufacturers_leg_of_the_28_december_protocol_is_recorded(article_data):
    leg = Commitment.objects.get(
        agreement__slug=ACCORD,
        citations__quote__contains="les industriels avec leur engagement, leur savoir-faire",
    )
    assert "manufacturers" in leg.description and "know-how" in leg.description


def test_series_of_protocols_ties_the_fondation_cheikh_khalifa(article_data):
    foundation = Organisation.objects.get(slug="fondation-cheikh-khalifa")
    (part,) = foundation.agreement_parts.all()
    series = part.agreement
    assert series.slug != ACCORD and series.signed_on is None
    assert series.citations.filter(quote__contains="une serie de protocoles").exists()
    assert part.citations.filter(quote__contains="(Fondation Cheikh Khalifa)").exists()
    assert "clinics" in series.summary and "28 December 2021" in series.summary


def test_minister_mezzour_s_presence_at_the_29_december_signing_is_recorded(article_data):
    quote = "Speaking on this occasion, Minister of Industry and Trade, Ryad Mezzour"
    patron = AgreementParty.objects.get(
        agreement__slug=PARTNERSHIP, organisation__slug="ministere-industrie-commerce"
    )
    assert patron.signed_by is None  # he spoke; the article does not say he signed
    assert patron.citations.filter(quote__startswith=quote).exists()
    assert (
        Agreement.objects.get(slug=PARTNERSHIP).citations.filter(quote__startswith=quote).exists()
    )
    assert "Ryad Mezzour" in Agreement.objects.get(slug=PARTNERSHIP).summary


def test_industry_ministry_statement_in_004_is_cited(article_data):
    quote = "D’après le ministère de l’Industrie, « grâce à ce cluster médical"
    party = AgreementParty.objects.get(
        agreement__slug=ACCORD, organisation__slug="ministere-industrie-commerce"
    )
    assert party.citations.filter(source__slug=BOOSTER, quote__startswith=quote).exists()
    accord = Agreement.objects.get(slug=ACCORD)
    assert accord.citations.filter(source__slug=BOOSTER, quote__startswith=quote).exists()
    assert "industrial force" in accord.summary


def test_le_matin_is_a_media_organisation_cited_from_the_interview(article_data):
    le_matin = Organisation.objects.get(slug="le-matin")
    assert (le_matin.name, le_matin.kind) == ("Le Matin", "media")
    assert le_matin.citations.filter(
        source__slug=CHANTIERS, quote__contains="in the journal Le Matin"
    ).exists()


# Field claims: what each article says of a date or a number, as the article says it.


def claims_of(record):
    return sorted(
        (citation.source.slug, citation.field, citation.value)
        for citation in record.citations.exclude(field="").select_related("source")
    )


def test_the_accord_s_signing_date_is_claimed_by_both_articles_that_give_it(article_data):
    accord = Agreement.objects.get(
        slug="2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"
    )
    assert claims_of(accord) == [
        ("maroc-booster-fabrication-locale-dispositifs-medicaux", "signed_on", "2021-12-28"),
        ("trois-chantiers-majeurs-marocain-medical-cluster", "signed_on", "2021-12-28"),
    ]
    # "le 28 décembre dernier" names no year: the note says how the year was found.
    dernier = accord.citations.get(
        source__slug="maroc-booster-fabrication-locale-dispositifs-medicaux", field="signed_on"
    )
    assert "le 28 décembre dernier" in dernier.quote
    assert "2021" in dernier.note
    assert not Agreement.objects.disputed().exists()


def test_the_aba_mmi_agreement_s_date_is_claimed_from_its_wednesday(article_data):
    partnership = Agreement.objects.get(slug="2021-12-29-aba-technology-mmi-cluster-partnership")
    assert claims_of(partnership) == [
        ("aba-technology-mmi-cluster-made-in-morocco", "signed_on", "2021-12-29")
    ]
    (claim,) = partnership.citations.exclude(field="")
    assert "Wednesday" in claim.quote and "30 December 2021" in claim.note


def test_the_cluster_s_founding_month_and_more_than_40_members_are_claimed(article_data):
    cluster = Organisation.objects.get(slug="mmi-cluster")
    assert claims_of(cluster) == [
        ("maroc-booster-fabrication-locale-dispositifs-medicaux", "members", ">40"),
        ("trois-chantiers-majeurs-marocain-medical-cluster", "founded_on", "2020-07"),
    ]
    assert (cluster.founded_on, cluster.founded_on_precision) == (
        datetime.date(2020, 7, 1),
        "month",
    )
    assert (cluster.members, cluster.members_qualifier) == (40, "more_than")
    assert cluster.members_label() == "more than 40"


@pytest.mark.parametrize("slug", ["nextronic", "mediot", "nextcor", "le-matin"])
def test_an_organisation_whose_country_the_articles_do_not_give_has_none(article_data, slug):
    organisation = Organisation.objects.get(slug=slug)
    assert organisation.country == ""
    assert "ZZ" not in organisation.description
