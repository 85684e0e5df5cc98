"""What the API returns for each record.

Each serializer declares its fields (they make the OpenAPI schema) and builds its
representation by hand in `represent()`, from what its viewset has already loaded for the
whole page (see loading.py). DRF's generic path walks every declared field of every
object (`get_attribute`, `to_representation`, an ordered dict per object) and deep-copies the
field tree per request; over a page of agreements with nested parties, commitments and
citations that costs several times the queries themselves. Here a page is one plain loop and
the field tree is never built outside schema generation.

`tests/test_api_schema.py` checks every response against the schema these declarations
produce, so a field added to one side and not the other fails the suite.
"""

from urllib.parse import quote

from django.db import models
from django.urls import reverse
from rest_framework import serializers

from ..choices import (
    AgreementKind,
    AgreementStatus,
    CommitmentCategory,
    CommitmentStatus,
    DatePrecision,
    Language,
    LinkKind,
    NameKind,
    OrganisationKind,
    PartyRole,
)


def iso(value):
    return value.isoformat() if value is not None else None


class WebLinks:
    """Absolute addresses of records' web pages, for one request.

    `page(...)` equals `request.build_absolute_uri(record.get_absolute_url())`, but reverses
    each kind of page once per request rather than once per object: on a page of agreements
    `reverse()` was otherwise the costliest step after the queries.
    """

    MARK = "0000000000"

    def __init__(self, request):
        # What `request.build_absolute_uri(path)` puts before a path.
        self.scheme_host = request.build_absolute_uri("/")[:-1] if request is not None else ""
        self.templates = {}

    def page(self, view, value):
        """The address of `view` (a (view name, URL argument) pair) for `value`."""
        template = self.templates.get(view)
        if template is None:
            name, argument = view
            path = reverse(name, kwargs={argument: self.MARK})
            template = self.templates[view] = (self.scheme_host + path).split(self.MARK, 1)
        return f"{template[0]}{quote(str(value), safe='')}{template[1]}"

    def __call__(self, record):
        return self.scheme_host + record.get_absolute_url()


ORGANISATION_PAGE = ("tracker:organisation-detail", "slug")
PERSON_PAGE = ("tracker:person-detail", "slug")
AGREEMENT_PAGE = ("tracker:agreement-detail", "slug")
COMMITMENT_PAGE = ("tracker:commitment-detail", "pk")
SOURCE_PAGE = ("tracker:source-detail", "slug")


class RecordListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        links = WebLinks(self.context.get("request"))
        represent = self.child.represent
        return [represent(item, links) for item in iterable]


class RecordSerializer(serializers.Serializer):
    """A read-only serializer whose representation is `represent(record, links)`."""

    class Meta:
        list_serializer_class = RecordListSerializer

    def to_representation(self, instance):
        return self.represent(instance, WebLinks(self.context.get("request")))

    @staticmethod
    def represent(record, links):
        raise NotImplementedError


# Small shapes shared by several records --------------------------------------------------


class OrganisationRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class PersonRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class SourceRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()


class AgreementRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()


class CitationSerializer(serializers.Serializer):
    source = SourceRefSerializer(help_text="The article the quote comes from.")
    quote = serializers.CharField(help_text="The source's words, verbatim.")


def ref(slug, name):
    return {"slug": slug, "name": name} if slug is not None else None


def citations(cited):
    return [
        {
            "source": {"slug": row["source_slug"], "title": row["source_title"]},
            "quote": row["quote"],
        }
        for row in cited
    ]


def choice(choices, help_text):
    return serializers.ChoiceField(choices=choices.choices, help_text=help_text)


def date_field(help_text):
    return serializers.DateField(allow_null=True, help_text=help_text)


def precision_field(of):
    return serializers.ChoiceField(
        choices=DatePrecision.choices,
        help_text=f"How much of {of} the sources give: a day, only a month, or only a year "
        "(a month or year is stored as its first day).",
    )


CITATIONS_HELP = "The quotes that back this record, each with its source."
URL_HELP = "The record's page in the web interface."


# Organisations -----------------------------------------------------------------------


class OtherNameSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = choice(NameKind, "Acronym, translation, variant or former name.")
    language = choice(Language, "Language of the name.")


class OrganisationLinkSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=[("outgoing", "outgoing"), ("incoming", "incoming")],
        help_text="`outgoing`: this organisation is `kind` the other one (for example a member "
        "of it); `incoming`: the other organisation is `kind` this one.",
    )
    kind = choice(LinkKind, "What the tie is.")
    organisation = OrganisationRefSerializer(help_text="The organisation at the other end.")
    started_on = date_field("Since when, if known.")
    ended_on = date_field("Until when, if it has ended.")


class CurrentPositionSerializer(serializers.Serializer):
    person = PersonRefSerializer()
    title = serializers.CharField()
    started_on = date_field("Since when, if known.")


def link_fields(direction, link):
    return {
        "direction": direction,
        "kind": link["kind"],
        "organisation": ref(link["other_slug"], link["other_name"]),
        "started_on": iso(link["started_on"]),
        "ended_on": iso(link["ended_on"]),
    }


class OrganisationSerializer(RecordSerializer):
    slug = serializers.SlugField()
    url = serializers.URLField(help_text=URL_HELP)
    name = serializers.CharField()
    acronym = serializers.CharField(help_text="Empty when it has none.")
    kind = choice(OrganisationKind, "What sort of body it is.")
    country = serializers.CharField(help_text="ISO 3166 two-letter code.")
    description = serializers.CharField()
    founded_on = date_field("When it was founded, if known.")
    founded_on_precision = precision_field("the founding date")
    other_names = OtherNameSerializer(many=True, help_text="Acronyms, translations, former names.")
    links = OrganisationLinkSerializer(many=True, help_text="Ties to other organisations.")
    current_people = CurrentPositionSerializer(
        many=True, help_text="People who hold a position there now."
    )
    citations = CitationSerializer(many=True, help_text=CITATIONS_HELP)

    @staticmethod
    def represent(organisation, links):
        return {
            "slug": organisation.slug,
            "url": links.page(ORGANISATION_PAGE, organisation.slug),
            "name": organisation.name,
            "acronym": organisation.acronym,
            "kind": organisation.kind,
            "country": organisation.country,
            "description": organisation.description,
            "founded_on": iso(organisation.founded_on),
            "founded_on_precision": organisation.founded_on_precision,
            "other_names": [
                {"name": other["name"], "kind": other["kind"], "language": other["language"]}
                for other in organisation.other_name_list
            ],
            "links": [link_fields("outgoing", link) for link in organisation.links_out_list]
            + [link_fields("incoming", link) for link in organisation.links_in_list],
            "current_people": [
                {
                    "person": ref(position["person_slug"], position["person_name"]),
                    "title": position["title"],
                    "started_on": iso(position["started_on"]),
                }
                for position in organisation.current_positions
            ],
            "citations": citations(organisation.citation_list),
        }


# People ------------------------------------------------------------------------------


class PositionSerializer(serializers.Serializer):
    organisation = OrganisationRefSerializer()
    title = serializers.CharField()
    started_on = date_field("Since when, if known.")
    ended_on = date_field("Until when; null while the position is current.")
    current = serializers.BooleanField(help_text="True while the person holds the position.")


class PersonSerializer(RecordSerializer):
    slug = serializers.SlugField()
    url = serializers.URLField(help_text=URL_HELP)
    name = serializers.CharField()
    description = serializers.CharField()
    positions = PositionSerializer(many=True, help_text="Roles in organisations, past and present.")
    citations = CitationSerializer(many=True, help_text=CITATIONS_HELP)

    @staticmethod
    def represent(person, links):
        return {
            "slug": person.slug,
            "url": links.page(PERSON_PAGE, person.slug),
            "name": person.name,
            "description": person.description,
            "positions": [
                {
                    "organisation": ref(
                        position["organisation_slug"], position["organisation_name"]
                    ),
                    "title": position["title"],
                    "started_on": iso(position["started_on"]),
                    "ended_on": iso(position["ended_on"]),
                    "current": position["ended_on"] is None,
                }
                for position in person.position_list
            ],
            "citations": citations(person.citation_list),
        }


# Agreements and commitments ----------------------------------------------------------

COMMITMENT_FIELDS_HELP = {
    "party": "The organisation that made the commitment (a party of the agreement).",
    "beneficiary": "The organisation it benefits, when it is one organisation.",
    "beneficiary_description": "Who benefits, in words, when not one organisation.",
}


class PartySerializer(serializers.Serializer):
    organisation = OrganisationRefSerializer()
    role = choice(PartyRole, "The organisation's part in the agreement.")
    signed_by = PersonRefSerializer(allow_null=True, help_text="Who signed for it, if known.")
    citations = CitationSerializer(many=True, help_text=CITATIONS_HELP)


class AgreementCommitmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Look the commitment up at /api/v1/commitments/{id}/.")
    url = serializers.URLField(help_text=URL_HELP)
    party = OrganisationRefSerializer(help_text=COMMITMENT_FIELDS_HELP["party"])
    beneficiary = OrganisationRefSerializer(
        allow_null=True, help_text=COMMITMENT_FIELDS_HELP["beneficiary"]
    )
    beneficiary_description = serializers.CharField(
        help_text=COMMITMENT_FIELDS_HELP["beneficiary_description"]
    )
    description = serializers.CharField(help_text="What the party undertook.")
    category = choice(CommitmentCategory, "What kind of undertaking it is.")
    status = choice(CommitmentStatus, "What became of it, as far as the sources say.")
    due_on = date_field("When it is due, if a date was given.")
    met_on = date_field("When it was met, for a met or partly met commitment.")
    citations = CitationSerializer(many=True, help_text=CITATIONS_HELP)


def commitment_fields(row, links):
    """A commitment from its row (see loading.py): what an agreement and the endpoint show."""
    return {
        "id": row["id"],
        "url": links.page(COMMITMENT_PAGE, row["id"]),
        "party": ref(row["party_slug"], row["party_name"]),
        "beneficiary": ref(row["beneficiary_slug"], row["beneficiary_name"]),
        "beneficiary_description": row["beneficiary_description"],
        "description": row["description"],
        "category": row["category"],
        "status": row["status"],
        "due_on": iso(row["due_on"]),
        "met_on": iso(row["met_on"]),
        "citations": citations(row["citation_list"]),
    }


class AgreementSerializer(RecordSerializer):
    slug = serializers.SlugField()
    url = serializers.URLField(help_text=URL_HELP)
    title = serializers.CharField()
    kind = choice(AgreementKind, "What sort of agreement it is.")
    status = choice(AgreementStatus, "Where the agreement stands.")
    signed_on = date_field("When it was signed (or announced), if known.")
    signed_on_precision = precision_field("the signing date")
    place = serializers.CharField(help_text="Where it was signed; empty when unknown.")
    summary = serializers.CharField()
    parties = PartySerializer(many=True, help_text="Every organisation party to it, with its role.")
    commitments = AgreementCommitmentSerializer(
        many=True, help_text="What each party undertook, with the quotes that say so."
    )
    citations = CitationSerializer(many=True, help_text=CITATIONS_HELP)

    @staticmethod
    def represent(agreement, links):
        return {
            "slug": agreement.slug,
            "url": links.page(AGREEMENT_PAGE, agreement.slug),
            "title": agreement.title,
            "kind": agreement.kind,
            "status": agreement.status,
            "signed_on": iso(agreement.signed_on),
            "signed_on_precision": agreement.signed_on_precision,
            "place": agreement.place,
            "summary": agreement.summary,
            "parties": [
                {
                    "organisation": ref(party["organisation_slug"], party["organisation_name"]),
                    "role": party["role"],
                    "signed_by": ref(party["signed_by_slug"], party["signed_by_name"]),
                    "citations": citations(party["citation_list"]),
                }
                for party in agreement.party_list
            ],
            "commitments": [
                commitment_fields(commitment, links) for commitment in agreement.commitment_list
            ],
            "citations": citations(agreement.citation_list),
        }


class CommitmentSerializer(RecordSerializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    url = serializers.URLField(help_text=URL_HELP)
    agreement = AgreementRefSerializer(help_text="The agreement in which it was made.")
    party = OrganisationRefSerializer(help_text=COMMITMENT_FIELDS_HELP["party"])
    beneficiary = OrganisationRefSerializer(
        allow_null=True, help_text=COMMITMENT_FIELDS_HELP["beneficiary"]
    )
    beneficiary_description = serializers.CharField(
        help_text=COMMITMENT_FIELDS_HELP["beneficiary_description"]
    )
    description = serializers.CharField(help_text="What the party undertook.")
    category = choice(CommitmentCategory, "What kind of undertaking it is.")
    status = choice(CommitmentStatus, "What became of it, as far as the sources say.")
    due_on = date_field("When it is due, if a date was given.")
    met_on = date_field("When it was met, for a met or partly met commitment.")
    citations = CitationSerializer(many=True, help_text=CITATIONS_HELP)

    @staticmethod
    def represent(commitment, links):
        return {
            "id": commitment.pk,
            "slug": commitment.slug,
            "url": links.page(COMMITMENT_PAGE, commitment.pk),
            "agreement": {"slug": commitment.agreement_slug, "title": commitment.agreement_title},
            "party": ref(commitment.party_slug, commitment.party_name),
            "beneficiary": ref(commitment.beneficiary_slug, commitment.beneficiary_name),
            "beneficiary_description": commitment.beneficiary_description,
            "description": commitment.description,
            "category": commitment.category,
            "status": commitment.status,
            "due_on": iso(commitment.due_on),
            "met_on": iso(commitment.met_on),
            "citations": citations(commitment.citation_list),
        }


# Sources -----------------------------------------------------------------------------


class SourceSerializer(RecordSerializer):
    slug = serializers.SlugField()
    url = serializers.URLField(help_text="The source's page in the web interface, quotes marked.")
    title = serializers.CharField()
    outlet = serializers.CharField(help_text="Empty when unknown.")
    original_url = serializers.CharField(
        help_text="Where the article was published, when known (an address, or empty)."
    )
    language = choice(Language, "Language of the text.")
    published_on = date_field("Publication date, when the source gives one.")
    published_on_precision = precision_field("the publication date")
    page_dated_on = date_field(
        "The date the page prints in its header, which may be the day it was displayed "
        "rather than the day the article was published."
    )
    notes = serializers.CharField(help_text="What is uncertain about this source.")
    citation_count = serializers.IntegerField(
        help_text="How many quotes the tracker takes from it."
    )

    @staticmethod
    def represent(source, links):
        return {
            "slug": source.slug,
            "url": links.page(SOURCE_PAGE, source.slug),
            "title": source.title,
            "outlet": source.outlet,
            "original_url": source.url,
            "language": source.language,
            "published_on": iso(source.published_on),
            "published_on_precision": source.published_on_precision,
            "page_dated_on": iso(source.page_dated_on),
            "notes": source.notes,
            "citation_count": source.citation_count,
        }


class QuoteSerializer(serializers.Serializer):
    quote = serializers.CharField(help_text="The source's words, verbatim.")
    supports = serializers.ChoiceField(
        choices=[
            ("organisation", "organisation"),
            ("organisation_link", "organisation_link"),
            ("person", "person"),
            ("position", "position"),
            ("agreement", "agreement"),
            ("agreement_party", "agreement_party"),
            ("commitment", "commitment"),
        ],
        help_text="What kind of record the quote backs.",
    )
    record = serializers.CharField(help_text="The record it backs, in words.")
    record_url = serializers.URLField(help_text="The web page of the record it backs.")


class SourceDetailSerializer(SourceSerializer):
    text = serializers.CharField(help_text="The full text of the source.")
    quotes = QuoteSerializer(many=True, help_text="Every quote taken from it and what it backs.")

    @staticmethod
    def represent(source, links):
        representation = SourceSerializer.represent(source, links)
        representation["text"] = source.text
        representation["quotes"] = [
            {
                "quote": citation.quote,
                "supports": citation.target_name,
                "record": record_label(citation),
                "record_url": links(citation.target),
            }
            for citation in source.quote_list
        ]
        return representation


def record_label(citation):
    target = citation.target
    name = citation.target_name
    if name == "organisation_link":
        return (
            f"{target.from_organisation} — {target.get_kind_display()} — {target.to_organisation}"
        )
    if name == "position":
        return f"{target.person} — {target.title}, {target.organisation}"
    if name == "agreement_party":
        return f"{target.organisation} — {target.get_role_display()}, {target.agreement}"
    return str(target)
