"""Each FilterSet on its own: what its fields accept, refuse, and return."""

from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from tracker.devtools import factories
from tracker.filtersets import (
    AgreementFilterSet,
    CommitmentFilterSet,
    OrganisationFilterSet,
    PersonFilterSet,
    SourceFilterSet,
)
from tracker.models import Agreement, Commitment, Organisation, Person, Source

pytestmark = pytest.mark.django_db

FILTERSETS = [
    (OrganisationFilterSet, Organisation),
    (PersonFilterSet, Person),
    (AgreementFilterSet, Agreement),
    (CommitmentFilterSet, Commitment),
    (SourceFilterSet, Source),
]
RECORD_FILTERS = [
    (OrganisationFilterSet, Organisation, "party_to"),
    (OrganisationFilterSet, Organisation, "related_to"),
    (PersonFilterSet, Person, "organisation"),
    (AgreementFilterSet, Agreement, "party"),
    (AgreementFilterSet, Agreement, "source"),
    (CommitmentFilterSet, Commitment, "agreement"),
    (CommitmentFilterSet, Commitment, "party"),
]
RECORD_FILTER_IDS = [f"{row[1].__name__}-{row[2]}" for row in RECORD_FILTERS]


def errors_of(filterset_class, model, params):
    filterset = filterset_class(QueryDict(urlencode(params)), queryset=model.objects.all())
    assert not filterset.is_valid()
    return filterset.errors


@pytest.mark.parametrize(
    ("filterset_class", "model", "name"), RECORD_FILTERS, ids=RECORD_FILTER_IDS
)
def test_a_null_character_in_a_record_filter_is_an_error_naming_it(filterset_class, model, name):
    errors = errors_of(filterset_class, model, {name: "mmi\x00cluster"})
    assert list(errors) == [name]
    assert "Null characters are not allowed." in errors[name]


@pytest.mark.parametrize(
    ("filterset_class", "model", "name"), RECORD_FILTERS, ids=RECORD_FILTER_IDS
)
def test_a_record_filter_still_finds_its_record_by_slug(filterset_class, model, name):
    party = factories.AgreementPartyFactory(
        agreement__slug="accord", organisation__slug="mmi-cluster"
    )
    factories.AgreementPartyFactory(agreement=party.agreement)
    factories.CommitmentFactory(agreement=party.agreement, party=party.organisation)
    factories.PositionFactory(organisation=party.organisation)
    factories.CitationFactory(source__slug="article", organisation=None, agreement=party.agreement)
    targets = {"party_to": "accord", "source": "article", "agreement": "accord"}
    target = targets.get(name, "mmi-cluster")
    filterset = filterset_class(QueryDict(urlencode({name: target})), queryset=model.objects.all())
    assert filterset.is_valid(), filterset.errors
    assert filterset.qs.exists()


@pytest.mark.parametrize(
    ("filterset_class", "model"), FILTERSETS, ids=[row[1].__name__ for row in FILTERSETS]
)
def test_q_of_more_than_the_maximum_words_is_an_error_naming_q(filterset_class, model):
    from tracker.querysets import MAX_SEARCH_TERMS

    words = " ".join(f"mot{number}" for number in range(MAX_SEARCH_TERMS + 1))
    errors = errors_of(filterset_class, model, {"q": words})
    assert list(errors) == ["q"]
    assert errors["q"] == [
        f"Search for at most {MAX_SEARCH_TERMS} different words; this search has "
        f"{MAX_SEARCH_TERMS + 1}."
    ]


@pytest.mark.parametrize(
    ("filterset_class", "model"), FILTERSETS, ids=[row[1].__name__ for row in FILTERSETS]
)
def test_q_of_the_maximum_words_is_searched(filterset_class, model):
    from tracker.querysets import MAX_SEARCH_TERMS

    words = " ".join(f"mot{number}" for number in range(MAX_SEARCH_TERMS))
    filterset = filterset_class({"q": words}, queryset=model.objects.all())
    assert filterset.is_valid(), filterset.errors
    assert list(filterset.qs) == []
