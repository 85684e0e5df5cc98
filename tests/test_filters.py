"""Each FilterSet on its own (`FilterSet(params, queryset).qs`): what each filter keeps, what
it drops, and the form error naming it for input it refuses.

Every filter declared on a FilterSet of tracker/filtersets.py has a test here, registered with
`@covers`, and a row in INVALID_INPUT; `test_every_declared_filter_has_a_direct_test` fails for
a filter that has neither, so a new one gets its test here. Rows are compared over every
queryset the product gives the FilterSet (the model's, the API endpoint's, the UI list's), so
a filter cannot pass here and misbehave on the rows a page loads. What only HTTP shows (the
API's 400 envelope, its strictness about empty, unknown and repeated parameters, the UI
form's error, CSV, pagination, query counts) stays in test_api.py and test_views.py.
"""

import datetime
from urllib.parse import urlencode

import django_filters
import pytest
from django.http import QueryDict
from django.utils import timezone

from tracker import filtersets, views
from tracker.api.urls import router
from tracker.choices import (
    AgreementKind,
    AgreementStatus,
    CommitmentCategory,
    CommitmentStatus,
    Language,
    OrganisationKind,
)
from tracker.devtools import factories
from tracker.filtersets import (
    AgreementFilterSet,
    CommitmentFilterSet,
    OrganisationFilterSet,
    PersonFilterSet,
    SourceFilterSet,
)
from tracker.querysets import MAX_SEARCH_TERMS

pytestmark = pytest.mark.django_db

FILTERSETS = [
    value
    for value in vars(filtersets).values()
    if isinstance(value, type)
    and issubclass(value, django_filters.FilterSet)
    and getattr(value._meta, "model", None) is not None
]
FILTERSET_IDS = [filterset_class.__name__ for filterset_class in FILTERSETS]

# (FilterSet, filter name) -> names of the tests that show what it keeps and drops.
COVERED = {}


def covers(filterset_class, name):
    """Register the decorated test as the direct test of `filterset_class`'s filter `name`."""

    def register(test):
        COVERED.setdefault((filterset_class, name), []).append(test.__name__)
        return test

    return register


def ui_views():
    """Every UI list view class, subclasses of subclasses included."""
    found, pending = [], [views.FilteredListView]
    while pending:
        view_class = pending.pop()
        found.append(view_class)
        pending.extend(view_class.__subclasses__())
    return found


def querysets_of(filterset_class):
    """The model's rows, then the queryset of each API endpoint and UI list filtered by it."""
    querysets = [filterset_class._meta.model.objects.all()]
    for _prefix, viewset, _basename in router.registry:
        if getattr(viewset, "filterset_class", None) is filterset_class:
            querysets.append(viewset.queryset.all())
    for view_class in ui_views():
        if view_class.filterset_class is filterset_class:
            querysets.append(view_class().get_queryset())
    return querysets


def query(params):
    return QueryDict(urlencode(params, doseq=True))


def rows(filterset_class, **params):
    """The records `params` select, in order, the same from every queryset of the product."""
    selections = []
    for queryset in querysets_of(filterset_class):
        filterset = filterset_class(query(params), queryset=queryset)
        assert filterset.is_valid(), filterset.errors
        selections.append([row.pk for row in filterset.qs])
    assert all(selection == selections[0] for selection in selections), selections
    records = filterset_class._meta.model.objects.in_bulk(selections[0])
    return [records[pk] for pk in selections[0]]


def errors_of(filterset_class, params):
    filterset = filterset_class(query(params), queryset=filterset_class._meta.model.objects.all())
    assert not filterset.is_valid()
    return filterset.errors


# Organisations --------------------------------------------------------------------------


@covers(OrganisationFilterSet, "q")
def test_organisations_q_ignores_case_and_accents_and_matches_other_names():
    ministry = factories.OrganisationFactory(name="Ministère de la Santé")
    factories.OrganisationNameFactory(organisation=ministry, name="Ministry of Health")
    factories.OrganisationFactory(name="Ministère de l'Industrie")
    assert rows(OrganisationFilterSet, q="MINISTERE sante") == [ministry]
    assert rows(OrganisationFilterSet, q="ministry of health") == [ministry]


@covers(OrganisationFilterSet, "kind")
def test_organisations_kind_keeps_the_chosen_kinds():
    cluster = factories.OrganisationFactory(name="A cluster", kind=OrganisationKind.CLUSTER)
    factories.OrganisationFactory(name="A company", kind=OrganisationKind.COMPANY)
    ministry = factories.OrganisationFactory(name="A ministry", kind=OrganisationKind.MINISTRY)
    assert rows(OrganisationFilterSet, kind="cluster") == [cluster]
    assert rows(OrganisationFilterSet, kind=["cluster", "ministry"]) == [cluster, ministry]


@covers(OrganisationFilterSet, "country")
def test_organisations_country_ignores_case():
    factories.OrganisationFactory(country="MA")
    french = factories.OrganisationFactory(country="FR")
    assert rows(OrganisationFilterSet, country="fr") == [french]


@covers(OrganisationFilterSet, "country")
@pytest.mark.parametrize("code", ["ZZ", "XX", "France", "1"])
def test_organisations_country_refuses_what_is_not_a_country(code):
    filterset = OrganisationFilterSet(query({"country": code}), queryset=None)
    assert not filterset.is_valid()
    assert filterset.errors["country"] == [
        f"“{code}” is not an ISO 3166 country code, such as MA or FR."
    ]


@covers(OrganisationFilterSet, "party_to")
def test_organisations_party_to_keeps_the_agreements_parties():
    party = factories.AgreementPartyFactory(organisation__name="First party")
    other = factories.AgreementPartyFactory(
        agreement=party.agreement, organisation__name="Second party"
    )
    factories.AgreementPartyFactory(organisation__name="Party to another agreement")
    factories.OrganisationFactory(name="Outsider")
    assert rows(OrganisationFilterSet, party_to=party.agreement.slug) == [
        party.organisation,
        other.organisation,
    ]


@covers(OrganisationFilterSet, "related_to")
def test_organisations_related_to_keeps_linked_organisations_and_co_signatories():
    hub = factories.OrganisationFactory(name="Hub")
    member = factories.OrganisationFactory(name="Member")
    factories.OrganisationLinkFactory(from_organisation=member, to_organisation=hub)
    parent = factories.OrganisationFactory(name="Parent")
    factories.OrganisationLinkFactory(from_organisation=hub, to_organisation=parent)
    co_signatory = factories.OrganisationFactory(name="Co-signatory")
    agreement = factories.AgreementFactory()
    factories.AgreementPartyFactory(agreement=agreement, organisation=hub)
    factories.AgreementPartyFactory(agreement=agreement, organisation=co_signatory)
    factories.OrganisationFactory(name="Stranger")
    assert rows(OrganisationFilterSet, related_to=hub.slug) == [co_signatory, member, parent]


@covers(OrganisationFilterSet, "ordering")
def test_organisations_ordering_by_name_acronym_and_kind():
    beta = factories.OrganisationFactory(name="Beta", acronym="ZB", kind=OrganisationKind.MINISTRY)
    alpha = factories.OrganisationFactory(name="Alpha", acronym="YA", kind=OrganisationKind.COMPANY)
    gamma = factories.OrganisationFactory(name="Gamma", acronym="XG", kind=OrganisationKind.CLUSTER)
    assert rows(OrganisationFilterSet) == [alpha, beta, gamma]
    assert rows(OrganisationFilterSet, ordering="-name") == [gamma, beta, alpha]
    assert rows(OrganisationFilterSet, ordering="acronym") == [gamma, alpha, beta]
    assert rows(OrganisationFilterSet, ordering="kind") == [gamma, alpha, beta]


# People ---------------------------------------------------------------------------------


@covers(OrganisationFilterSet, "mentioned_in")
def test_organisations_mentioned_in_keeps_those_the_source_names_by_any_name():
    cluster = factories.OrganisationFactory(name="Cluster médical", acronym="CM")
    factories.OrganisationFactory(name="Ministère de la Santé")
    source = factories.SourceFactory(text="Le CM réunit plus de 40 membres.")
    assert rows(OrganisationFilterSet, mentioned_in=source.slug) == [cluster]


@covers(PersonFilterSet, "q")
def test_people_q_ignores_case():
    mounir = factories.PersonFactory(name="Mounir Idder")
    factories.PersonFactory(name="Someone Else")
    assert rows(PersonFilterSet, q="IDDER") == [mounir]


@covers(PersonFilterSet, "organisation")
def test_people_organisation_lists_each_member_once():
    cluster = factories.OrganisationFactory()
    member = factories.PersonFactory()
    factories.PositionFactory(person=member, organisation=cluster, title="Director")
    factories.PositionFactory(person=member, organisation=cluster, title="Founder")
    factories.PositionFactory(person=factories.PersonFactory())
    assert rows(PersonFilterSet, organisation=cluster.slug) == [member]


@covers(PersonFilterSet, "mentioned_in")
def test_people_mentioned_in_keeps_those_the_source_names():
    named = factories.PersonFactory(name="Mounir Idder")
    factories.PersonFactory(name="Ryad Mezzour")
    source = factories.SourceFactory(text="Selon Mounir Idder, le cluster grandit.")
    assert rows(PersonFilterSet, mentioned_in=source.slug) == [named]


@covers(PersonFilterSet, "ordering")
def test_people_ordering_by_name():
    zoe = factories.PersonFactory(name="Zoe")
    adam = factories.PersonFactory(name="Adam")
    assert rows(PersonFilterSet) == [adam, zoe]
    assert rows(PersonFilterSet, ordering="-name") == [zoe, adam]


# Agreements -----------------------------------------------------------------------------


@covers(AgreementFilterSet, "q")
def test_agreements_q_matches_title_and_party_names():
    ventilators = factories.AgreementFactory(title="Accord sur les respirateurs")
    other = factories.AgreementFactory(title="Something else")
    factories.AgreementPartyFactory(
        agreement=other, organisation=factories.OrganisationFactory(name="Santé Groupe")
    )
    assert rows(AgreementFilterSet, q="RESPIRATEURS") == [ventilators]
    assert rows(AgreementFilterSet, q="sante groupe") == [other]


@covers(AgreementFilterSet, "party")
def test_agreements_party_repeated_means_between_all_of_them():
    ministry = factories.OrganisationFactory()
    cluster = factories.OrganisationFactory()
    both = factories.AgreementFactory(signed_on=datetime.date(2022, 1, 2))
    only_ministry = factories.AgreementFactory(signed_on=datetime.date(2022, 1, 1))
    for agreement, organisation in ((both, ministry), (both, cluster), (only_ministry, ministry)):
        factories.AgreementPartyFactory(agreement=agreement, organisation=organisation)
    factories.AgreementPartyFactory()
    assert rows(AgreementFilterSet, party=ministry.slug) == [both, only_ministry]
    assert rows(AgreementFilterSet, party=[ministry.slug, cluster.slug]) == [both]


@covers(AgreementFilterSet, "kind")
def test_agreements_kind_keeps_the_chosen_kinds():
    memo = factories.AgreementFactory(kind=AgreementKind.MEMORANDUM, title="A")
    contract = factories.AgreementFactory(kind=AgreementKind.CONTRACT, title="B")
    factories.AgreementFactory(kind=AgreementKind.PARTNERSHIP, title="C")
    assert rows(AgreementFilterSet, kind="memorandum") == [memo]
    assert rows(AgreementFilterSet, kind=["memorandum", "contract"], ordering="title") == [
        memo,
        contract,
    ]


@covers(AgreementFilterSet, "status")
def test_agreements_status_keeps_the_chosen_statuses():
    announced = factories.AgreementFactory(status=AgreementStatus.ANNOUNCED)
    factories.AgreementFactory(status=AgreementStatus.SIGNED)
    assert rows(AgreementFilterSet, status="announced") == [announced]


@pytest.fixture
def three_dates():
    return [
        factories.AgreementFactory(signed_on=datetime.date(2021, 12, day)) for day in (27, 28, 29)
    ]


@covers(AgreementFilterSet, "signed_after")
def test_agreements_signed_after_is_inclusive(three_dates):
    dec_27, dec_28, dec_29 = three_dates
    factories.AgreementFactory(signed_on=None)
    assert rows(AgreementFilterSet, signed_after="2021-12-28") == [dec_29, dec_28]


@covers(AgreementFilterSet, "signed_before")
def test_agreements_signed_before_is_inclusive(three_dates):
    dec_27, dec_28, dec_29 = three_dates
    factories.AgreementFactory(signed_on=None)
    assert rows(AgreementFilterSet, signed_before="2021-12-28") == [dec_28, dec_27]


@covers(AgreementFilterSet, "source")
def test_agreements_source_finds_agreements_cited_directly_or_through_parties_and_commitments():
    article = factories.SourceFactory()

    def cite(**target):
        factories.CitationFactory(source=article, organisation=None, **target)

    cited_itself = factories.AgreementFactory(title="Cited itself")
    cite(agreement=cited_itself)
    through_party = factories.AgreementPartyFactory(agreement__title="Through a party")
    cite(agreement_party=through_party)
    through_commitment = factories.CommitmentFactory(agreement__title="Through a commitment")
    cite(commitment=through_commitment)
    factories.CitationFactory(organisation=None, agreement=factories.AgreementFactory())
    assert rows(AgreementFilterSet, source=article.slug, ordering="title") == [
        cited_itself,
        through_commitment.agreement,
        through_party.agreement,
    ]


@covers(AgreementFilterSet, "commitment_status")
def test_agreements_commitment_status_keeps_agreements_with_such_a_commitment():
    kept = factories.CommitmentFactory(status=CommitmentStatus.MET).agreement
    factories.CommitmentFactory(status=CommitmentStatus.ANNOUNCED)
    factories.AgreementFactory()
    assert rows(AgreementFilterSet, commitment_status="met") == [kept]


@covers(AgreementFilterSet, "ordering")
def test_agreements_ordering_by_date_signed_and_title(three_dates):
    dec_27, dec_28, dec_29 = three_dates
    assert rows(AgreementFilterSet) == [dec_29, dec_28, dec_27]
    assert rows(AgreementFilterSet, ordering="signed_on") == [dec_27, dec_28, dec_29]
    for agreement, title in zip(three_dates, ("Beta", "Alpha", "Gamma"), strict=True):
        agreement.title = title
        agreement.save()
    assert rows(AgreementFilterSet, ordering="title") == [dec_28, dec_27, dec_29]
    assert rows(AgreementFilterSet, ordering="-title") == [dec_29, dec_27, dec_28]


# Commitments ----------------------------------------------------------------------------


@covers(CommitmentFilterSet, "q")
def test_commitments_q_matches_the_description():
    wanted = factories.CommitmentFactory(description="Certifier les produits via IMANOR")
    factories.CommitmentFactory(description="Passer des commandes")
    assert rows(CommitmentFilterSet, q="imanor") == [wanted]


@covers(CommitmentFilterSet, "agreement")
def test_commitments_agreement_keeps_its_commitments():
    wanted = factories.CommitmentFactory()
    factories.CommitmentFactory()
    assert rows(CommitmentFilterSet, agreement=wanted.agreement.slug) == [wanted]


@covers(CommitmentFilterSet, "party")
def test_commitments_party_keeps_what_it_promised():
    wanted = factories.CommitmentFactory()
    factories.CommitmentFactory()
    assert rows(CommitmentFilterSet, party=wanted.party.slug) == [wanted]


@covers(CommitmentFilterSet, "category")
def test_commitments_category_keeps_the_chosen_categories():
    wanted = factories.CommitmentFactory(category=CommitmentCategory.PROCUREMENT)
    factories.CommitmentFactory(category=CommitmentCategory.SUPPORT)
    assert rows(CommitmentFilterSet, category="procurement") == [wanted]


@covers(CommitmentFilterSet, "status")
def test_commitments_status_keeps_the_chosen_statuses():
    wanted = factories.CommitmentFactory(status=CommitmentStatus.NOT_MET)
    factories.CommitmentFactory(status=CommitmentStatus.ANNOUNCED)
    assert rows(CommitmentFilterSet, status="not_met") == [wanted]


@covers(CommitmentFilterSet, "due_before")
def test_commitments_due_before_is_inclusive_and_drops_undated_ones():
    wanted = factories.CommitmentFactory(due_on=datetime.date(2022, 6, 30))
    factories.CommitmentFactory(due_on=datetime.date(2022, 7, 1))
    factories.CommitmentFactory(due_on=None)
    assert rows(CommitmentFilterSet, due_before="2022-06-30") == [wanted]


def reported_commitment(signed_on, *reports):
    """A commitment whose agreement was signed on `signed_on`, with reports (day, status)."""
    agreement = factories.AgreementFactory(signed_on=signed_on)
    commitment = factories.CommitmentFactory(agreement=agreement)
    for day, status in reports:
        factories.CommitmentReportFactory(commitment=commitment, reported_on=day, status=status)
    return commitment


@covers(CommitmentFilterSet, "status_changed_after")
@covers(CommitmentFilterSet, "status_changed_before")
def test_commitments_status_changed_between_keeps_changes_in_the_period_not_repeats():
    signed = datetime.date(2021, 1, 1)
    changed_in_2022 = reported_commitment(signed, (datetime.date(2022, 5, 1), "in_progress"))
    repeated_in_2022 = reported_commitment(
        signed, (datetime.date(2021, 6, 1), "met"), (datetime.date(2022, 5, 1), "met")
    )
    changed_in_2023 = reported_commitment(
        signed, (datetime.date(2022, 1, 1), "announced"), (datetime.date(2023, 3, 1), "met")
    )
    factories.CommitmentFactory(agreement=factories.AgreementFactory(signed_on=signed))
    assert rows(CommitmentFilterSet, status_changed_after="2022-01-01") == [
        changed_in_2022,
        changed_in_2023,
    ]
    assert rows(
        CommitmentFilterSet, status_changed_after="2022-01-01", status_changed_before="2022-12-31"
    ) == [changed_in_2022]
    assert rows(CommitmentFilterSet, status_changed_before="2021-12-31") == [repeated_in_2022]


@covers(CommitmentFilterSet, "no_news_since")
def test_commitments_with_no_news_since_drop_those_reported_or_promised_since():
    quiet = reported_commitment(datetime.date(2020, 1, 1), (datetime.date(2021, 1, 1), "unknown"))
    never_reported = reported_commitment(datetime.date(2020, 1, 1))
    reported_commitment(datetime.date(2020, 1, 1), (datetime.date(2023, 1, 1), "in_progress"))
    reported_commitment(datetime.date(2023, 6, 1))  # promised since
    assert rows(CommitmentFilterSet, no_news_since="2022-01-01") == [quiet, never_reported]


@covers(CommitmentFilterSet, "overdue")
def test_commitments_overdue_true_keeps_open_late_ones_and_false_the_others():
    today = timezone.localdate()
    late = factories.CommitmentFactory(due_on=today - datetime.timedelta(days=1))
    met_late = factories.CommitmentFactory(
        due_on=today - datetime.timedelta(days=1), status=CommitmentStatus.MET
    )
    not_yet = factories.CommitmentFactory(due_on=today + datetime.timedelta(days=1))
    undated = factories.CommitmentFactory(due_on=None)
    assert rows(CommitmentFilterSet, overdue="true") == [late]
    assert rows(CommitmentFilterSet, overdue="false") == [met_late, not_yet, undated]


@covers(CommitmentFilterSet, "ordering")
def test_commitments_ordering_by_due_date_status_and_entry_order():
    later = factories.CommitmentFactory(
        due_on=datetime.date(2024, 1, 1), status=CommitmentStatus.ANNOUNCED
    )
    sooner = factories.CommitmentFactory(
        due_on=datetime.date(2023, 1, 1), status=CommitmentStatus.MET
    )
    assert rows(CommitmentFilterSet, ordering="due_on") == [sooner, later]
    assert rows(CommitmentFilterSet, ordering="-due_on") == [later, sooner]
    assert rows(CommitmentFilterSet, ordering="status") == [later, sooner]
    assert rows(CommitmentFilterSet, ordering="-id") == [sooner, later]


# Sources --------------------------------------------------------------------------------


@covers(SourceFilterSet, "q")
def test_sources_q_matches_the_title():
    ventilators = factories.SourceFactory(title="Des respirateurs marocains")
    factories.SourceFactory(title="Autre chose", text="Rien à voir.")
    assert rows(SourceFilterSet, q="RESPIRATEURS") == [ventilators]


@covers(SourceFilterSet, "language")
def test_sources_language_keeps_the_chosen_languages():
    english = factories.SourceFactory(language=Language.ENGLISH)
    factories.SourceFactory(language=Language.FRENCH)
    assert rows(SourceFilterSet, language="en") == [english]


@covers(SourceFilterSet, "ordering")
def test_sources_ordering_by_publication_date_and_title():
    older = factories.SourceFactory(published_on=datetime.date(2020, 1, 1), title="Zeta")
    newer = factories.SourceFactory(published_on=datetime.date(2022, 1, 1), title="Eta")
    assert rows(SourceFilterSet) == [newer, older]
    assert rows(SourceFilterSet, ordering="published_on") == [older, newer]
    assert rows(SourceFilterSet, ordering="title") == [newer, older]


# Input each filter refuses: a form error naming it, and no other -------------------------

TOO_MANY_WORDS = " ".join(f"mot{number}" for number in range(MAX_SEARCH_TERMS + 1))
TOO_MANY_WORDS_MESSAGE = (
    f"Search for at most {MAX_SEARCH_TERMS} different words; this search has "
    f"{MAX_SEARCH_TERMS + 1}."
)
NOT_A_CHOICE = "is not one of the available choices"
NO_SUCH_RECORD = "That choice is not one of the available choices"
NOT_A_DATE = "Enter a valid date."
OUT_OF_RANGE = "Enter a date between 1 January 1800 and 31 December 2100."


# Disputed: records whose sources report different values for one field ------------------


def claimed(record, *values, field):
    """Citations of `record`, each from a source of its own, reporting `values` for `field`."""
    target = record.citation_target
    for value in values:
        targets = {"organisation": None, target: record}
        factories.CitationFactory(field=field, value=value, **targets)
    return record


@covers(AgreementFilterSet, "disputed")
def test_agreements_disputed_keeps_those_whose_sources_disagree():
    disputed = claimed(factories.AgreementFactory(), "2021-12-28", "2021-12-27", field="signed_on")
    agreeing = claimed(factories.AgreementFactory(), "2021-12-28", "2021-12-28", field="signed_on")
    # Two fields with one value each: no field is disputed.
    mixed = claimed(factories.AgreementFactory(), "2021-12-28", field="signed_on")
    claimed(mixed, "signed", field="status")
    assert rows(AgreementFilterSet, disputed="true") == [disputed]
    assert set(rows(AgreementFilterSet, disputed="false")) == {agreeing, mixed}


@covers(CommitmentFilterSet, "disputed")
def test_commitments_disputed_keeps_those_whose_sources_disagree():
    disputed = claimed(factories.CommitmentFactory(), "met", "in_progress", field="status")
    agreeing = claimed(factories.CommitmentFactory(), "met", field="status")
    assert rows(CommitmentFilterSet, disputed="true") == [disputed]
    assert rows(CommitmentFilterSet, disputed="false") == [agreeing]


@covers(OrganisationFilterSet, "disputed")
def test_organisations_disputed_keeps_those_whose_sources_disagree():
    disputed = claimed(factories.OrganisationFactory(), ">40", "45", field="members")
    agreeing = claimed(factories.OrganisationFactory(), "2020-07", "2020-07", field="founded_on")
    assert rows(OrganisationFilterSet, disputed="true") == [disputed]
    assert agreeing in rows(OrganisationFilterSet, disputed="false")


INVALID_INPUT = [
    *(
        (filterset_class, "q", TOO_MANY_WORDS, TOO_MANY_WORDS_MESSAGE)
        for filterset_class in FILTERSETS
    ),
    (OrganisationFilterSet, "kind", "spaceship", NOT_A_CHOICE),
    (OrganisationFilterSet, "country", "m\x00a", "Null characters are not allowed."),
    (OrganisationFilterSet, "party_to", "no-such-agreement", NO_SUCH_RECORD),
    (OrganisationFilterSet, "related_to", "nobody", NO_SUCH_RECORD),
    (OrganisationFilterSet, "ordering", "price", "price " + NOT_A_CHOICE),
    (PersonFilterSet, "organisation", "nobody", NO_SUCH_RECORD),
    (PersonFilterSet, "mentioned_in", "no-such-source", NO_SUCH_RECORD),
    (OrganisationFilterSet, "mentioned_in", "no-such-source", NO_SUCH_RECORD),
    (PersonFilterSet, "ordering", "age", "age " + NOT_A_CHOICE),
    (AgreementFilterSet, "party", "no-such-organisation", "no-such-organisation " + NOT_A_CHOICE),
    (AgreementFilterSet, "kind", "treaty", "treaty " + NOT_A_CHOICE),
    (AgreementFilterSet, "status", "done", "done " + NOT_A_CHOICE),
    (AgreementFilterSet, "signed_after", "28/12/2021", NOT_A_DATE),
    (AgreementFilterSet, "signed_after", "9999-12-31", OUT_OF_RANGE),
    (AgreementFilterSet, "signed_before", "2021-02-30", NOT_A_DATE),
    (AgreementFilterSet, "signed_before", "0001-01-01", OUT_OF_RANGE),
    (AgreementFilterSet, "source", "no-such-source", NO_SUCH_RECORD),
    (AgreementFilterSet, "commitment_status", "done", "done " + NOT_A_CHOICE),
    (AgreementFilterSet, "ordering", "price", "price " + NOT_A_CHOICE),
    (CommitmentFilterSet, "agreement", "nothing", NO_SUCH_RECORD),
    (CommitmentFilterSet, "party", "nobody", NO_SUCH_RECORD),
    (CommitmentFilterSet, "category", "gifts", "gifts " + NOT_A_CHOICE),
    (CommitmentFilterSet, "status", "done", "done " + NOT_A_CHOICE),
    (CommitmentFilterSet, "due_before", "soon", NOT_A_DATE),
    (CommitmentFilterSet, "due_before", "9999-12-31", OUT_OF_RANGE),
    (CommitmentFilterSet, "ordering", "price", "price " + NOT_A_CHOICE),
    (CommitmentFilterSet, "status_changed_after", "lately", NOT_A_DATE),
    (CommitmentFilterSet, "status_changed_after", "0202-01-01", OUT_OF_RANGE),
    (CommitmentFilterSet, "status_changed_before", "2022-02-30", NOT_A_DATE),
    (CommitmentFilterSet, "status_changed_before", "9999-12-31", OUT_OF_RANGE),
    (CommitmentFilterSet, "no_news_since", "a year ago", NOT_A_DATE),
    (CommitmentFilterSet, "no_news_since", "20211-01-01", NOT_A_DATE),
    (SourceFilterSet, "language", "klingon", "klingon " + NOT_A_CHOICE),
    (AgreementFilterSet, "disputed", "maybe", "maybe " + NOT_A_CHOICE),
    (CommitmentFilterSet, "disputed", "yes", "yes " + NOT_A_CHOICE),
    (OrganisationFilterSet, "disputed", "1", "1 " + NOT_A_CHOICE),
    (SourceFilterSet, "ordering", "price", "price " + NOT_A_CHOICE),
]

# Filters with no input of their own to refuse, and where what they cannot read is refused.
NOTHING_TO_REFUSE = {
    # A NullBooleanField reads anything but true/false as "either" (the UI's select sends
    # "unknown"); the API refuses other values itself (test_api.py, BAD_PARAMETERS).
    (CommitmentFilterSet, "overdue"): "the API's FilterBackend",
}


@pytest.mark.parametrize(
    ("filterset_class", "name", "value", "message"),
    INVALID_INPUT,
    ids=[f"{row[0].__name__}-{row[1]}-{row[2][:12]!r}" for row in INVALID_INPUT],
)
def test_input_a_filter_refuses_is_a_form_error_naming_it(filterset_class, name, value, message):
    errors = errors_of(filterset_class, {name: value})
    assert list(errors) == [name]
    assert message in " ".join(errors[name])


RECORD_FILTERS = [
    (filterset_class, name)
    for filterset_class in FILTERSETS
    for name, filter_ in filterset_class.base_filters.items()
    if isinstance(
        filter_, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter
    )
]


@pytest.mark.parametrize(
    ("filterset_class", "name"),
    RECORD_FILTERS,
    ids=[f"{row[0].__name__}-{row[1]}" for row in RECORD_FILTERS],
)
def test_a_null_character_in_a_record_filter_is_an_error_naming_it(filterset_class, name):
    errors = errors_of(filterset_class, {name: "mmi\x00cluster"})
    assert list(errors) == [name]
    assert "Null characters are not allowed." in errors[name]


@pytest.mark.parametrize("filterset_class", FILTERSETS, ids=FILTERSET_IDS)
def test_q_of_the_maximum_words_is_searched(filterset_class):
    words = " ".join(f"mot{number}" for number in range(MAX_SEARCH_TERMS))
    assert rows(filterset_class, q=words) == []


@pytest.mark.parametrize("filterset_class", FILTERSETS, ids=FILTERSET_IDS)
def test_no_parameters_keep_every_row(filterset_class):
    model = filterset_class._meta.model
    factory = getattr(factories, f"{model.__name__}Factory")
    factory.create_batch(2)
    assert len(rows(filterset_class)) == model.objects.count() == 2


# Records chosen by name -------------------------------------------------------------------

# What a record filter takes besides a slug: the record's name (or title), typed as a search
# is (any case, no accents), and for organisations an acronym or another name.
NAMED_RECORDS = {
    "Organisation": lambda: factories.OrganisationFactory(
        name="Moroccan Medical Industry Cluster", acronym="MMI"
    ),
    "Agreement": lambda: factories.AgreementFactory(title="Accord-cadre sur les respirateurs"),
    "Source": lambda: factories.SourceFactory(title="Les dispositifs médicaux au Maroc"),
    "Person": lambda: factories.PersonFactory(name="Mounir Idder"),
}
TYPED_NAMES = {
    "Organisation": ["MMI", "moroccan MEDICAL industry cluster", "Cluster MMI"],
    "Agreement": ["ACCORD-CADRE SUR LES RESPIRATEURS"],
    "Source": ["les dispositifs medicaux au maroc"],
    "Person": ["mounir idder"],
}


def chosen(filterset_class, name, value):
    filterset = filterset_class(
        query({name: value}), queryset=filterset_class._meta.model.objects.all()
    )
    assert filterset.is_valid(), filterset.errors
    cleaned = filterset.form.cleaned_data[name]
    return list(cleaned) if hasattr(cleaned, "__iter__") else [cleaned]


@pytest.mark.parametrize(
    ("filterset_class", "name"),
    RECORD_FILTERS,
    ids=[f"{row[0].__name__}-{row[1]}" for row in RECORD_FILTERS],
)
def test_a_record_filter_takes_a_name_or_acronym_as_well_as_a_slug(filterset_class, name):
    model = filterset_class.base_filters[name].queryset.model
    record = NAMED_RECORDS[model.__name__]()
    if model.__name__ == "Organisation":
        factories.OrganisationNameFactory(organisation=record, name="Cluster MMI")
    getattr(factories, f"{model.__name__}Factory")()  # another of its kind, named otherwise
    assert chosen(filterset_class, name, record.slug) == [record]
    for typed in TYPED_NAMES[model.__name__]:
        assert chosen(filterset_class, name, typed) == [record], typed


def test_a_name_that_is_only_part_of_a_records_name_chooses_nothing():
    factories.OrganisationFactory(name="Moroccan Medical Industry Cluster", acronym="MMI")
    errors = errors_of(AgreementFilterSet, {"party": "Medical"})
    assert list(errors) == ["party"]


@pytest.mark.parametrize(
    ("filterset_class", "name"),
    RECORD_FILTERS,
    ids=[f"{row[0].__name__}-{row[1]}" for row in RECORD_FILTERS],
)
def test_a_name_several_records_share_is_an_error_listing_their_slugs_and_names(
    filterset_class, name
):
    model = filterset_class.base_filters[name].queryset.model
    factory = getattr(factories, f"{model.__name__}Factory")
    field = model.name_field
    first = factory(**{field: "Santé"})
    second = factory(**{field: "SANTE"})
    errors = errors_of(filterset_class, {name: "sante"})
    assert list(errors) == [name]
    message = " ".join(errors[name])
    assert "“sante” names several" in message, message
    for record in (first, second):
        assert f"{record.slug} ({getattr(record, field)})" in message


def test_an_acronym_shared_with_another_organisations_name_offers_both():
    by_acronym = factories.OrganisationFactory(name="Agence marocaine", acronym="AMGS")
    by_other_name = factories.OrganisationFactory(name="Autre agence")
    factories.OrganisationNameFactory(organisation=by_other_name, name="amgs")
    message = " ".join(errors_of(CommitmentFilterSet, {"party": "Amgs"})["party"])
    assert by_acronym.slug in message and by_other_name.slug in message


def test_parties_chosen_by_name_and_by_slug_together_mean_between_all_of_them():
    ministry = factories.OrganisationFactory(name="Ministère de la Santé", acronym="")
    cluster = factories.OrganisationFactory(name="Cluster", acronym="MMI")
    both = factories.AgreementFactory()
    for organisation in (ministry, cluster):
        factories.AgreementPartyFactory(agreement=both, organisation=organisation)
    factories.AgreementPartyFactory(organisation=ministry)
    assert rows(AgreementFilterSet, party=["ministere de la sante", cluster.slug]) == [both]
    assert rows(AgreementFilterSet, party=["MMI"]) == [both]


# Periods ----------------------------------------------------------------------------------

PERIODS = [
    (AgreementFilterSet, "signed_after", "signed_before"),
    (CommitmentFilterSet, "status_changed_after", "status_changed_before"),
]


@pytest.mark.parametrize(
    ("filterset_class", "start", "end"), PERIODS, ids=[row[1] for row in PERIODS]
)
def test_a_period_whose_start_is_after_its_end_is_an_error_naming_both_fields(
    filterset_class, start, end
):
    errors = errors_of(filterset_class, {start: "2022-06-02", end: "2022-06-01"})
    assert set(errors) == {start, end}
    labels = [str(filterset_class.base_filters[name].label) for name in (start, end)]
    for name in (start, end):
        message = " ".join(errors[name])
        assert all(label in message for label in labels), message


@pytest.mark.parametrize(
    ("filterset_class", "start", "end"), PERIODS, ids=[row[1] for row in PERIODS]
)
def test_a_period_of_one_day_is_valid(filterset_class, start, end):
    rows(filterset_class, **{start: "2022-06-01", end: "2022-06-01"})


# Every filter has its tests ---------------------------------------------------------------


def test_every_declared_filter_has_a_direct_test():
    refused = {(row[0], row[1]) for row in INVALID_INPUT}
    without_test, without_refusal = [], []
    for filterset_class in FILTERSETS:
        for name in filterset_class.base_filters:
            key = (filterset_class, name)
            if key not in COVERED:
                without_test.append(f"{filterset_class.__name__}.{name}")
            if key not in refused and key not in NOTHING_TO_REFUSE:
                without_refusal.append(f"{filterset_class.__name__}.{name}")
    assert without_test == [], "give each a test decorated with @covers(FilterSet, name)"
    assert without_refusal == [], "give each a row in INVALID_INPUT (or NOTHING_TO_REFUSE)"
    declared = {(cls, name) for cls in FILTERSETS for name in cls.base_filters}
    assert set(COVERED) <= declared and refused <= declared, "a test names no declared filter"


@pytest.mark.parametrize(
    "filterset_class",
    [
        AgreementFilterSet,
        CommitmentFilterSet,
        OrganisationFilterSet,
        PersonFilterSet,
        SourceFilterSet,
    ],
)
def test_filters_are_compared_over_the_querysets_of_the_api_endpoint_and_the_ui_list(
    filterset_class,
):
    # The model's own, the API endpoint's and at least one UI list's.
    assert len(querysets_of(filterset_class)) >= 3


@pytest.mark.parametrize(
    ("filterset_class", "params"),
    [
        (OrganisationFilterSet, [("kind", "company"), ("kind", "cluster")]),
        (
            AgreementFilterSet,
            [("kind", "memorandum"), ("status", "signed"), ("status", "announced")],
        ),
        (CommitmentFilterSet, [("status", "announced"), ("status", "in_progress")]),
        (CommitmentFilterSet, [("category", "expertise"), ("category", "support")]),
        (SourceFilterSet, [("language", "fr"), ("language", "en")]),
    ],
)
def test_choices_of_a_records_own_column_do_not_make_the_list_distinct(filterset_class, params):
    """DISTINCT over a list makes the database build every matching row (its counted and
    latest-report columns included) before it can cut a page; a record's own column cannot
    list it twice."""
    model = filterset_class._meta.model
    filterset = filterset_class(QueryDict(urlencode(params)), queryset=model.objects.all())
    assert filterset.is_valid(), filterset.errors
    assert "DISTINCT" not in str(filterset.qs.query).upper()
