"""What each endpoint loads: its records, then everything shown inside them, a page at a time.

The records themselves come from the FilterSet and the paginator as model instances; what
is nested inside them (parties, commitments, citations, other names…) is loaded here with
one `values()` query per kind of row for the whole page, grouped by parent, and attached
to each record as a plain list (`party_list`, `citation_list`…). Model instances and
Django's prefetch machinery (a queryset cloned per parent object to hold its rows) cost
several times the queries themselves on a page of fifty agreements with their parties,
commitments and citations; rows do not. The shapes follow the models' `with_related()`.

Each loader issues a fixed number of queries whatever the number of records
(tests/test_api.py holds that), and none loads an article's full text for a citation.
"""

from collections import defaultdict

from django.db.models import F, OuterRef, Prefetch, Subquery, prefetch_related_objects

from ..models import (
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    Organisation,
    OrganisationLink,
    OrganisationName,
    Person,
    Position,
    Source,
)
from ..querysets import related_count


def grouped(rows, key="parent"):
    """Rows (dicts) grouped by the value of `key`, which is taken out of each row."""
    groups = defaultdict(list)
    for row in rows:
        groups[row.pop(key)].append(row)
    return groups


def slug_and_name(relation, prefix=None):
    prefix = prefix or relation
    return {f"{prefix}_slug": F(f"{relation}__slug"), f"{prefix}_name": F(f"{relation}__name")}


def citation_rows(target, **condition):
    """Citations of `target` records matching `condition`, grouped by the record they back."""
    return grouped(
        Citation.objects.filter(**condition).values(
            "quote",
            parent=F(target),
            source_slug=F("source__slug"),
            source_title=F("source__title"),
        )
    )


def attach(records, attribute, groups):
    for record in records:
        setattr(record, attribute, groups.get(record.pk, []))


# Organisations -------------------------------------------------------------------------


def organisations():
    return Organisation.objects.defer("search_text")


def load_organisations(organisations):
    ids = [organisation.pk for organisation in organisations]
    attach(
        organisations,
        "other_name_list",
        grouped(
            OrganisationName.objects.filter(organisation__in=ids)
            .order_by("name")
            .values("name", "kind", "language", parent=F("organisation"))
        ),
    )
    link_columns = ("kind", "started_on", "ended_on")
    attach(
        organisations,
        "links_out_list",
        grouped(
            OrganisationLink.objects.filter(from_organisation__in=ids)
            .order_by("kind", "to_organisation__name")
            .values(
                *link_columns,
                parent=F("from_organisation"),
                **slug_and_name("to_organisation", "other"),
            )
        ),
    )
    attach(
        organisations,
        "links_in_list",
        grouped(
            OrganisationLink.objects.filter(to_organisation__in=ids)
            .order_by("kind", "from_organisation__name")
            .values(
                *link_columns,
                parent=F("to_organisation"),
                **slug_and_name("from_organisation", "other"),
            )
        ),
    )
    attach(
        organisations,
        "current_positions",
        grouped(
            Position.objects.current()
            .filter(organisation__in=ids)
            .order_by("person__name", "title")
            .values("title", "started_on", parent=F("organisation"), **slug_and_name("person"))
        ),
    )
    attach(organisations, "citation_list", citation_rows("organisation", organisation__in=ids))


# People --------------------------------------------------------------------------------


def people():
    return Person.objects.defer("search_text")


def load_people(people):
    ids = [person.pk for person in people]
    attach(
        people,
        "position_list",
        grouped(
            Position.objects.filter(person__in=ids)
            .order_by("organisation__name", "title")
            .values(
                "title",
                "started_on",
                "ended_on",
                parent=F("person"),
                **slug_and_name("organisation"),
            )
        ),
    )
    attach(people, "citation_list", citation_rows("person", person__in=ids))


# Agreements and commitments ------------------------------------------------------------

COMMITMENT_COLUMNS = (
    "id",
    "beneficiary_description",
    "description",
    "category",
    "status",
    "due_on",
    "met_on",
)


def agreements():
    return Agreement.objects.defer("search_text")


def load_agreements(agreements):
    ids = [agreement.pk for agreement in agreements]
    party_citations = citation_rows("agreement_party", agreement_party__agreement__in=ids)
    parties = (
        AgreementParty.objects.filter(agreement__in=ids)
        .order_by("role", "organisation__name")
        .values(
            "id",
            "role",
            parent=F("agreement"),
            **slug_and_name("organisation"),
            **slug_and_name("signed_by"),
        )
    )
    for party in parties:
        party["citation_list"] = party_citations.get(party["id"], [])
    attach(agreements, "party_list", grouped(parties))

    commitment_citations = citation_rows("commitment", commitment__agreement__in=ids)
    commitments = (
        Commitment.objects.filter(agreement__in=ids)
        .order_by("party__name", "id")
        .values(
            *COMMITMENT_COLUMNS,
            parent=F("agreement"),
            **slug_and_name("party"),
            **slug_and_name("beneficiary"),
        )
    )
    for commitment in commitments:
        commitment["citation_list"] = commitment_citations.get(commitment["id"], [])
    attach(agreements, "commitment_list", grouped(commitments))

    attach(agreements, "citation_list", citation_rows("agreement", agreement__in=ids))


def column_of(model, key, column):
    """`column` of the `model` row the outer row's `key` points at, as a scalar subquery.

    Unlike `F("relation__column")`, it adds no join to the query: the paginator's count
    stays a count of one table (with joins it read every commitment's agreement and parties,
    most of the time of a page), and the subquery runs for the rows of the page only.
    """
    return Subquery(model.objects.filter(pk=OuterRef(key)).values(column)[:1])


def commitments():
    return Commitment.objects.defer("search_text").annotate(
        agreement_slug=column_of(Agreement, "agreement", "slug"),
        agreement_title=column_of(Agreement, "agreement", "title"),
        party_slug=column_of(Organisation, "party", "slug"),
        party_name=column_of(Organisation, "party", "name"),
        beneficiary_slug=column_of(Organisation, "beneficiary", "slug"),
        beneficiary_name=column_of(Organisation, "beneficiary", "name"),
    )


def load_commitments(commitments):
    ids = [commitment.pk for commitment in commitments]
    attach(commitments, "citation_list", citation_rows("commitment", commitment__in=ids))


# Sources -------------------------------------------------------------------------------


def sources():
    # Counted per row of the page: a `Count` over the join grouped all citations first.
    return Source.objects.defer("text", "search_text").annotate(
        citation_count=related_count("Citation", "source")
    )


def source_details():
    return Source.objects.defer("search_text").annotate(
        citation_count=related_count("Citation", "source")
    )


def load_source_details(sources):
    # One source at a time: the quotes come as instances, each with the record it backs.
    prefetch_related_objects(
        sources,
        Prefetch(
            "citations",
            queryset=Citation.objects.with_targets().defer("source__text", "source__search_text"),
            to_attr="quote_list",
        ),
    )
