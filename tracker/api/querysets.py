"""What each endpoint loads: the records a page shows, narrowed to the columns the API returns.

These follow the shapes of the models' `with_related()`, with two differences that matter for
large pages: each citation loads its source's slug and title, not the article's full text
(which every citation row would otherwise carry), and related rows are ordered without
joining back to their parent. A representation that reads a column left out here costs one
query per row; the query-count tests in tests/test_api.py catch that.
"""

from django.db.models import Count, Prefetch

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

REF = ("slug", "name")


def _ref(relation, *fields):
    return (relation, *(f"{relation}__{field}" for field in fields or REF))


def cited(target):
    """The citations of records prefetched through `target`, with their source's slug and title."""
    return Prefetch(
        "citations",
        queryset=Citation.objects.select_related("source").only(
            target, "quote", *_ref("source", "slug", "title")
        ),
    )


def organisations():
    return Organisation.objects.defer("search_text").prefetch_related(
        Prefetch(
            "other_names",
            queryset=OrganisationName.objects.only(
                "organisation", "name", "kind", "language"
            ).order_by("name"),
        ),
        Prefetch(
            "links_out",
            queryset=OrganisationLink.objects.select_related("to_organisation")
            .only("from_organisation", "kind", "started_on", "ended_on", *_ref("to_organisation"))
            .order_by("kind", "to_organisation__name"),
        ),
        Prefetch(
            "links_in",
            queryset=OrganisationLink.objects.select_related("from_organisation")
            .only("to_organisation", "kind", "started_on", "ended_on", *_ref("from_organisation"))
            .order_by("kind", "from_organisation__name"),
        ),
        Prefetch(
            "positions",
            queryset=Position.objects.current()
            .select_related("person")
            .only("organisation", "title", "started_on", *_ref("person"))
            .order_by("person__name", "title"),
            to_attr="current_positions",
        ),
        cited("organisation"),
    )


def people():
    return Person.objects.defer("search_text").prefetch_related(
        Prefetch(
            "positions",
            queryset=Position.objects.select_related("organisation")
            .only("person", "title", "started_on", "ended_on", *_ref("organisation"))
            .order_by("organisation__name", "title"),
        ),
        cited("person"),
    )


COMMITMENT_COLUMNS = (
    "agreement",
    "beneficiary_description",
    "description",
    "category",
    "status",
    "due_on",
    "met_on",
    *_ref("party"),
    *_ref("beneficiary"),
)


def agreements():
    return Agreement.objects.defer("search_text").prefetch_related(
        Prefetch(
            "parties",
            queryset=AgreementParty.objects.select_related("organisation", "signed_by")
            .only("agreement", "role", *_ref("organisation"), *_ref("signed_by"))
            .order_by("role", "organisation__name")
            .prefetch_related(cited("agreement_party")),
        ),
        Prefetch(
            "commitments",
            queryset=Commitment.objects.select_related("party", "beneficiary")
            .only(*COMMITMENT_COLUMNS)
            .order_by("party__name", "id")
            .prefetch_related(cited("commitment")),
        ),
        cited("agreement"),
    )


def commitments():
    return (
        Commitment.objects.select_related("agreement", "party", "beneficiary")
        .only("slug", *COMMITMENT_COLUMNS, "agreement__slug", "agreement__title")
        .prefetch_related(cited("commitment"))
    )


def sources():
    return Source.objects.defer("text", "search_text").annotate(citation_count=Count("citations"))


def source_details():
    return (
        Source.objects.defer("search_text")
        .annotate(citation_count=Count("citations"))
        .prefetch_related(
            Prefetch(
                "citations",
                queryset=Citation.objects.with_targets().defer(
                    "source__text", "source__search_text"
                ),
            )
        )
    )
