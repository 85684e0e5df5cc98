import datetime

import pytest
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from tests.conftest import TRACKED
from tracker.choices import CommitmentStatus, DatePrecision
from tracker.dates import format_partial_date
from tracker.devtools import factories
from tracker.models import (
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    Organisation,
    OrganisationLink,
    Position,
)

pytestmark = pytest.mark.django_db


def assert_refused_by_database(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


# Database constraints hold even where forms are skipped (fixtures, bulk loads, update()).


def test_unknown_choice_is_refused_by_the_database(organisation):
    assert_refused_by_database(
        lambda: Organisation.objects.filter(pk=organisation.pk).update(kind="spaceship")
    )


def test_unknown_commitment_status_is_refused_by_the_database():
    commitment = factories.CommitmentFactory()
    assert_refused_by_database(
        lambda: Commitment.objects.filter(pk=commitment.pk).update(status="done-ish")
    )


@pytest.mark.parametrize("country", ["ma", "M1", "1A"])
def test_country_must_be_an_iso_code(organisation, country):
    # Two characters, so the check constraint (not the column length, which SQLite does not
    # enforce and PostgreSQL reports as another error) is what refuses them on both databases.
    assert_refused_by_database(
        lambda: Organisation.objects.filter(pk=organisation.pk).update(country=country)
    )


def test_position_cannot_end_before_it_starts():
    position = factories.PositionFactory(started_on=datetime.date(2021, 1, 1))
    assert_refused_by_database(
        lambda: Position.objects.filter(pk=position.pk).update(ended_on=datetime.date(2020, 1, 1))
    )


def test_link_dates_in_order_and_never_to_itself(organisation):
    link = factories.OrganisationLinkFactory(started_on=datetime.date(2021, 1, 1))
    assert_refused_by_database(
        lambda: OrganisationLink.objects.filter(pk=link.pk).update(
            ended_on=datetime.date(2020, 1, 1)
        )
    )
    assert_refused_by_database(
        lambda: OrganisationLink.objects.create(
            from_organisation=organisation, to_organisation=organisation, kind="member_of"
        )
    )


def test_met_on_only_for_a_met_commitment():
    commitment = factories.CommitmentFactory(status=CommitmentStatus.ANNOUNCED)
    assert_refused_by_database(
        lambda: Commitment.objects.filter(pk=commitment.pk).update(met_on=datetime.date(2022, 1, 1))
    )
    Commitment.objects.filter(pk=commitment.pk).update(
        status=CommitmentStatus.MET, met_on=datetime.date(2022, 1, 1)
    )


def test_an_organisation_is_party_to_an_agreement_once(agreement, organisation):
    factories.AgreementPartyFactory(agreement=agreement, organisation=organisation)
    assert_refused_by_database(
        lambda: AgreementParty.objects.create(agreement=agreement, organisation=organisation)
    )


def test_citation_supports_exactly_one_record(organisation, agreement):
    source = factories.SourceFactory()
    quote = source.text.split(".")[0]
    assert_refused_by_database(lambda: Citation.objects.create(source=source, quote=quote))
    assert_refused_by_database(
        lambda: Citation.objects.create(
            source=source, quote=quote, organisation=organisation, agreement=agreement
        )
    )


def test_constraint_messages_reach_the_form_user(organisation):
    other = factories.OrganisationLinkFactory.build(
        from_organisation=organisation, to_organisation=organisation
    )
    with pytest.raises(ValidationError, match="cannot be linked to itself"):
        other.full_clean()


# Validation the database cannot express.


def test_commitment_party_must_be_a_party_of_its_agreement(agreement, organisation):
    commitment = Commitment(
        slug="stray",
        agreement=agreement,
        party=organisation,
        description="Build a factory",
        category="funding",
    )
    with pytest.raises(ValidationError) as raised:
        commitment.full_clean()
    assert "is not a party of the agreement" in str(raised.value.message_dict["party"])
    factories.AgreementPartyFactory(agreement=agreement, organisation=organisation)
    commitment.full_clean()


def test_quote_must_occur_in_its_source():
    source = factories.SourceFactory(
        text="Le ministère s’engage à «accompagner» les porteurs  de projets."
    )
    organisation = factories.OrganisationFactory()
    typographic_variants = Citation(
        source=source,
        organisation=organisation,
        quote='Le ministère s\'engage à "accompagner" les porteurs de projets.',
    )
    typographic_variants.full_clean()
    for not_verbatim in ["le ministère s’engage", "Le ministere s’engage", "Le ministère promet"]:
        citation = Citation(source=source, organisation=organisation, quote=not_verbatim)
        with pytest.raises(ValidationError) as raised:
            citation.full_clean()
        assert "does not occur in the text" in str(raised.value.message_dict["quote"])


# Natural keys: fixtures name records by slugs, never by primary keys.


@pytest.mark.parametrize(
    "factory",
    [
        factories.SourceFactory,
        factories.OrganisationFactory,
        factories.OrganisationNameFactory,
        factories.OrganisationLinkFactory,
        factories.PersonFactory,
        factories.PositionFactory,
        factories.AgreementFactory,
        factories.AgreementPartyFactory,
        factories.CommitmentFactory,
        factories.CitationFactory,
    ],
)
def test_every_model_round_trips_through_its_natural_key(factory):
    record = factory()
    model = type(record)
    assert model.objects.get_by_natural_key(*record.natural_key()) == record
    serialized = serializers.serialize(
        "json", [record], use_natural_foreign_keys=True, use_natural_primary_keys=True
    )
    assert '"pk"' not in serialized


# Partial dates keep their precision.


def test_month_precision_date_is_stored_as_its_month_and_shown_as_such():
    organisation = factories.OrganisationFactory.build(
        founded_on=datetime.date(2020, 7, 17), founded_on_precision=DatePrecision.MONTH
    )
    organisation.full_clean()
    organisation.save()
    organisation.refresh_from_db()
    assert organisation.founded_on == datetime.date(2020, 7, 1)
    assert (
        format_partial_date(organisation.founded_on, organisation.founded_on_precision)
        == "July 2020"
    )
    assert format_partial_date(datetime.date(2021, 1, 1), DatePrecision.YEAR) == "2021"


# Search folds case, accents and ligatures, and matches other names and acronyms.


@pytest.mark.parametrize(
    "query",
    ["école", "ECOLE", "Ecole", "cœur", "coeur", "COEUR", "Ministère", "ministere", "MINISTERE"],
)
def test_search_ignores_case_accents_and_ligatures(query):
    wanted = factories.OrganisationFactory(name="École du Cœur, Ministère", acronym="")
    factories.OrganisationFactory(name="Unrelated body", acronym="")
    assert list(Organisation.objects.search(query)) == [wanted]


def test_search_finds_other_names_added_and_forgets_removed_ones(organisation):
    other_name = factories.OrganisationNameFactory(
        organisation=organisation, name="Cluster médical"
    )
    assert list(Organisation.objects.search("cluster medical")) == [organisation]
    other_name.delete()
    assert list(Organisation.objects.search("cluster medical")) == []


def test_search_words_may_come_in_any_order():
    wanted = factories.OrganisationFactory(name="Ministère de la Santé et de la Protection sociale")
    assert list(Organisation.objects.search("sante ministere")) == [wanted]


def test_refresh_search_text_repairs_rows_written_in_bulk(organisation):
    Organisation.objects.filter(pk=organisation.pk).update(name="Fondation Cheikh Khalifa")
    assert not Organisation.objects.search("khalifa").exists()
    Organisation.objects.all().refresh_search_text()
    assert list(Organisation.objects.search("khalifa")) == [organisation]


def test_agreement_search_matches_party_names():
    party = factories.AgreementPartyFactory(
        organisation__name="Association marocaine des groupes de santé"
    )
    factories.AgreementFactory()
    assert list(Agreement.objects.search("groupes de sante")) == [party.agreement]


# Deleting what others depend on is refused.


def test_organisation_party_to_an_agreement_cannot_be_deleted():
    party = factories.AgreementPartyFactory()
    with pytest.raises(ProtectedError):
        party.organisation.delete()
    assert AgreementParty.objects.filter(pk=party.pk).exists()


def test_agreement_with_commitments_cannot_be_deleted():
    commitment = factories.CommitmentFactory()
    with pytest.raises(ProtectedError):
        commitment.agreement.delete()


def test_party_with_commitments_cannot_be_removed_from_its_agreement():
    commitment = factories.CommitmentFactory()
    party = AgreementParty.objects.get(
        agreement=commitment.agreement, organisation=commitment.party
    )
    with pytest.raises(ProtectedError, match="commitments"), transaction.atomic():
        party.delete()
    assert AgreementParty.objects.filter(pk=party.pk).exists()


def test_source_with_citations_cannot_be_deleted():
    citation = factories.CitationFactory()
    with pytest.raises(ProtectedError):
        citation.source.delete()


def test_deleting_a_record_takes_its_evidence_with_it():
    citation = factories.CitationFactory()
    citation.organisation.delete()
    assert not Citation.objects.filter(pk=citation.pk).exists()


# History.


def test_every_change_is_kept_in_history(organisation):
    organisation.name = "Renamed body"
    organisation.save()
    names = list(organisation.history.order_by("history_date").values_list("name", flat=True))
    assert names[-1] == "Renamed body"
    assert len(names) == 2


@pytest.mark.parametrize("model", TRACKED)
def test_every_tracked_model_has_history(model):
    assert hasattr(model, "history")


def test_str_does_not_follow_foreign_keys(django_assert_num_queries):
    position = factories.PositionFactory(title="General director")
    fresh = Position.objects.get(pk=position.pk)
    with django_assert_num_queries(0):
        assert str(fresh) == "General director"


def test_a_source_whose_new_text_drops_a_cited_quote_is_refused_naming_quote_and_record():
    source = factories.SourceFactory(
        text="Le cluster signe un accord. Le ministère finance les essais."
    )
    cluster = factories.OrganisationFactory(name="MMI Cluster")
    factories.CitationFactory(
        source=source, quote="Le cluster signe un accord.", organisation=cluster
    )
    kept = factories.CitationFactory(
        source=source,
        quote="Le ministère finance les essais.",
        organisation=None,
        agreement=factories.AgreementFactory(title="Accord de financement"),
    )
    source.text = "Le ministère finance les essais. Rien d'autre."
    with pytest.raises(ValidationError) as refused:
        source.full_clean()
    messages = refused.value.message_dict["text"]
    assert len(messages) == 1
    assert "Le cluster signe un accord." in messages[0]
    assert "MMI Cluster" in messages[0]
    assert kept.quote not in " ".join(messages)

    # Whitespace and typographic quotes are normalised as they are when a quote is cited.
    source.text = "Le  cluster\nsigne un accord.  Le ministère finance les essais."
    source.full_clean()


# Field claims: what a citation says of one field of its record, and disputes between them.


def claim(record, field, value, **options):
    """A citation of `record` (agreement, commitment or organisation) reporting `value`."""
    target = record.citation_target
    citation = factories.CitationFactory.build(
        source=factories.SourceFactory(), organisation=None, field=field, value=value, **options
    )
    setattr(citation, target, record)
    citation.full_clean()
    citation.save()
    return citation


def test_citation_claims_only_a_field_its_record_has(agreement):
    with pytest.raises(ValidationError) as error:
        claim(agreement, "founded_on", "2020-07")
    assert "field" in error.value.message_dict
    assert "Signing date" in error.value.message_dict["field"][0]


def test_citation_field_needs_a_value_and_a_value_needs_a_field(agreement):
    with pytest.raises(ValidationError) as error:
        claim(agreement, "signed_on", "")
    assert "Signing date" in error.value.message_dict["value"][0]
    with pytest.raises(ValidationError) as error:
        claim(agreement, "", "2021-12-28")
    assert "field" in error.value.message_dict


def test_citation_value_must_read_as_its_field_type(agreement, organisation):
    with pytest.raises(ValidationError) as error:
        claim(agreement, "signed_on", "28/12/2021")
    assert "YYYY-MM-DD" in error.value.message_dict["value"][0]
    with pytest.raises(ValidationError) as error:
        claim(agreement, "status", "maybe")
    assert "signed" in error.value.message_dict["value"][0]
    with pytest.raises(ValidationError) as error:
        claim(organisation, "members", "forty")
    assert "Number of members" in error.value.message_dict["value"][0]


def test_citation_value_is_stored_in_its_normal_form(agreement, organisation):
    assert claim(agreement, "signed_on", " 2021-12-8 ").value == "2021-12-08"
    assert claim(agreement, "status", "Signed").value == "signed"
    assert claim(organisation, "members", "> 040").value == ">40"


def test_claim_on_a_field_the_record_lacks_is_refused_by_the_database(organisation):
    citation = factories.CitationFactory(organisation=organisation)
    assert_refused_by_database(
        lambda: Citation.objects.filter(pk=citation.pk).update(field="signed_on", value="2021")
    )
    assert_refused_by_database(
        lambda: Citation.objects.filter(pk=citation.pk).update(field="members", value="")
    )


def test_members_qualifier_is_refused_by_the_database_unless_listed(organisation):
    assert_refused_by_database(
        lambda: Organisation.objects.filter(pk=organisation.pk).update(members_qualifier="lots")
    )


def test_record_is_disputed_when_its_sources_report_different_values(agreement):
    other = factories.AgreementFactory()
    claim(agreement, "signed_on", "2021-12-28")
    claim(agreement, "signed_on", "2021-12-28")
    claim(other, "signed_on", "2021-12-28")
    assert not Agreement.objects.disputed().exists()
    claim(agreement, "signed_on", "2021-12-27")
    assert list(Agreement.objects.disputed()) == [agreement]
    assert other in Agreement.objects.disputed(False)


def test_disputed_record_keeps_the_value_staff_chose(agreement):
    from tracker.claims import load_disputes

    agreement.signed_on = datetime.date(2021, 12, 28)
    agreement.save()
    claim(agreement, "signed_on", "2021-12-28")
    claim(agreement, "signed_on", "2021-12-27")
    agreement.refresh_from_db()
    assert agreement.signed_on == datetime.date(2021, 12, 28)
    (dispute,) = load_disputes([agreement])[0].disputes
    assert [(v.value, v.held, len(v.citations)) for v in dispute.values] == [
        ("2021-12-27", False, 1),
        ("2021-12-28", True, 1),
    ]


def test_disputes_of_a_page_cost_the_same_queries_for_one_record_or_many(
    django_assert_num_queries,
):
    from tracker.claims import load_disputes

    agreements = factories.AgreementFactory.create_batch(6)
    for number, agreement in enumerate(agreements):
        claim(agreement, "signed_on", "2021-12-28")
        claim(agreement, "signed_on", f"2021-12-{number + 1:02d}")
        claim(agreement, "status", "signed")
    with django_assert_num_queries(2):
        load_disputes(agreements[:1])
    with django_assert_num_queries(2):
        records = load_disputes(agreements)
    assert all(len(record.disputes) == 1 for record in records)


def test_a_country_is_an_iso_3166_country_or_blank(organisation):
    organisation.country = "XX"
    with pytest.raises(ValidationError) as refused:
        organisation.full_clean()
    assert "country" in refused.value.message_dict
    organisation.country = ""
    organisation.full_clean()
    organisation.save()
    Organisation.objects.filter(pk=organisation.pk).update(country="")
    assert Organisation.objects.get(pk=organisation.pk).country == ""
