"""What the API returns for each record, declared once.

Each record's shape below is the only place its API output is written: the OpenAPI schema,
the representation and the columns the page loader reads all come from it (shapes.py). A
new field is one line here (and a migration if the model gains a column).

`tests/test_api_schema.py` checks every answer against the schema, which forbids keys it
does not declare, so an answer and its documentation cannot drift apart.
"""

from django.db.models import Case, F, Prefetch, Value, When, prefetch_related_objects
from django.db.models.functions import Coalesce
from rest_framework import serializers

from ..choices import (
    AgreementKind,
    AgreementStatus,
    CommitmentCategory,
    CommitmentStatus,
    DatePrecision,
    Language,
    LinkKind,
    MemberCountQualifier,
    NameKind,
    OrganisationKind,
    PartyRole,
)
from ..models import (
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    CommitmentReport,
    Mention,
    Organisation,
    OrganisationLink,
    OrganisationName,
    Person,
    Position,
    Source,
)
from .shapes import (
    Citations,
    Column,
    Computed,
    Custom,
    Date,
    Derived,
    DisputedFields,
    Given,
    Many,
    Page,
    Ref,
    RelatedCount,
    Rows,
    Shape,
    StrictSerializer,
    WebLinks,  # noqa: F401 (part of this module's interface)
)


def text(name, help_text=None, source=None):
    options = {"help_text": help_text} if help_text else {}
    return Column(name, serializers.CharField(**options), source)


def choice(name, choices, help_text):
    return Column(name, serializers.ChoiceField(choices=choices.choices, help_text=help_text))


def slug():
    return Column("slug", serializers.SlugField())


def precision(name, of):
    return Column(
        name,
        serializers.ChoiceField(
            choices=DatePrecision.choices,
            help_text=f"How much of {of} the sources give: a day, only a month, or only a year "
            "(a month or year is stored as its first day).",
        ),
    )


def page(view, key="slug", help_text="The record's page in the web interface."):
    return Page("url", view, key, help_text)


ORGANISATION_PAGE = ("tracker:organisation-detail", "slug")
PERSON_PAGE = ("tracker:person-detail", "slug")
AGREEMENT_PAGE = ("tracker:agreement-detail", "slug")
COMMITMENT_PAGE = ("tracker:commitment-detail", "pk")
SOURCE_PAGE = ("tracker:source-detail", "slug")


# Organisations -----------------------------------------------------------------------


OTHER_NAME = Shape(
    "OtherName",
    OrganisationName,
    text("name"),
    choice("kind", NameKind, "Acronym, translation, variant or former name."),
    choice("language", Language, "Language of the name."),
)

ORGANISATION_LINK = Shape(
    "OrganisationLink",
    OrganisationLink,
    Given(
        "direction",
        serializers.ChoiceField(
            choices=[("outgoing", "outgoing"), ("incoming", "incoming")],
            help_text="`outgoing`: this organisation is `kind` the other one (for example a "
            "member of it); `incoming`: the other organisation is `kind` this one.",
        ),
    ),
    choice("kind", LinkKind, "What the tie is."),
    Ref("organisation", "to_organisation", help_text="The organisation at the other end."),
    Date("started_on", "Since when, if known."),
    Date("ended_on", "Until when, if it has ended."),
)

CURRENT_POSITION = Shape(
    "CurrentPosition",
    Position,
    Ref("person"),
    text("title"),
    Date("started_on", "Since when, if known."),
)

ORGANISATION = Shape(
    "Organisation",
    Organisation,
    slug(),
    page(ORGANISATION_PAGE),
    text("name"),
    text("acronym", "Empty when it has none."),
    choice("kind", OrganisationKind, "What sort of body it is."),
    # A record's country is a Country (its code as text); a row's, the stored code.
    Derived(
        "country",
        serializers.CharField(help_text="ISO 3166 two-letter code; empty when not known."),
        "str({country})",
        ("country",),
    ),
    text("description"),
    Date("founded_on", "When it was founded, if known."),
    precision("founded_on_precision", "the founding date"),
    Column(
        "members",
        serializers.IntegerField(
            allow_null=True, help_text="How many members it has, as its sources give it."
        ),
    ),
    choice(
        "members_qualifier",
        MemberCountQualifier,
        "How exact `members` is: exactly, more than or about that number.",
    ),
    DisputedFields(),
    Many(
        "other_names",
        OTHER_NAME,
        Rows(OrganisationName, "organisation", order=("name",)),
        help_text="Acronyms, translations, former names.",
    ),
    Many(
        "links",
        ORGANISATION_LINK,
        Rows(
            OrganisationLink,
            "from_organisation",
            order=("kind", "to_organisation__name"),
            constants={"direction": "outgoing"},
        ),
        Rows(
            OrganisationLink,
            "to_organisation",
            order=("kind", "from_organisation__name"),
            relations={"organisation": "from_organisation"},
            constants={"direction": "incoming"},
        ),
        help_text="Ties to other organisations.",
    ),
    Many(
        "current_people",
        CURRENT_POSITION,
        Rows(
            Position,
            "organisation",
            order=("person__name", "title"),
            queryset=lambda: Position.objects.current(),
        ),
        help_text="People who hold a position there now.",
    ),
    Citations(),
)


# People ------------------------------------------------------------------------------


POSITION = Shape(
    "Position",
    Position,
    Ref("organisation"),
    text("title"),
    Date("started_on", "Since when, if known."),
    Date("ended_on", "Until when; null while the position is current."),
    Derived(
        "current",
        serializers.BooleanField(help_text="True while the person holds the position."),
        "{ended_on} is None",
        columns=("ended_on",),
    ),
)

PERSON = Shape(
    "Person",
    Person,
    slug(),
    page(PERSON_PAGE),
    text("name"),
    text("description"),
    Many(
        "positions",
        POSITION,
        Rows(Position, "person", order=("organisation__name", "title")),
        help_text="Roles in organisations, past and present.",
    ),
    Citations(),
)


# Agreements and commitments ----------------------------------------------------------


PARTY = Shape(
    "Party",
    AgreementParty,
    Ref("organisation"),
    choice("role", PartyRole, "The organisation's part in the agreement."),
    Ref("signed_by", null=True, help_text="Who signed for it, if known."),
    Citations(),
)

REPORT = Shape(
    "Report",
    CommitmentReport,
    Date("reported_on", "The date the report describes."),
    precision("reported_on_precision", "the report's date"),
    choice("status", CommitmentStatus, "The status the source reports at that date."),
    text("summary", "What the report says, in short."),
    Citations(help_text="The quotes of the sources that report it."),
)

COMMITMENT = Shape(
    "Commitment",
    Commitment,
    Column(
        "id",
        serializers.IntegerField(help_text="Look the commitment up at /api/v1/commitments/{id}/."),
    ),
    slug(),
    page(COMMITMENT_PAGE, key="id"),
    Ref("agreement", parts=("slug", "title"), help_text="The agreement in which it was made."),
    Ref(
        "party",
        help_text="The organisation that made the commitment (a party of the agreement).",
    ),
    Ref(
        "beneficiary",
        null=True,
        help_text="The organisation it benefits, when it is one organisation.",
    ),
    text("beneficiary_description", "Who benefits, in words, when not one organisation."),
    text("description", "What the party undertook."),
    choice("category", CommitmentCategory, "What kind of undertaking it is."),
    choice("status", CommitmentStatus, "What became of it, as far as the sources say."),
    Date("due_on", "When it is due, if a date was given."),
    Date("met_on", "When it was met, for a met or partly met commitment."),
    Date("latest_news_on", "The date of its latest progress report; null before its first."),
    Date(
        "status_changed_on",
        "The latest date a progress report gave it a new status; null if none did.",
    ),
    DisputedFields(),
    Citations(),
    Many(
        "reports",
        REPORT,
        Rows(CommitmentReport, "commitment", order=("reported_on", "id")),
        help_text="Progress reports, earliest first; the latest gives the commitment's status "
        "and met_on.",
    ),
)

AGREEMENT = Shape(
    "Agreement",
    Agreement,
    slug(),
    page(AGREEMENT_PAGE),
    text("title"),
    choice("kind", AgreementKind, "What sort of agreement it is."),
    choice("status", AgreementStatus, "Where the agreement stands."),
    Date("signed_on", "When it was signed (or announced), if known."),
    precision("signed_on_precision", "the signing date"),
    text("place", "Where it was signed; empty when unknown."),
    text("summary"),
    Many(
        "parties",
        PARTY,
        Rows(AgreementParty, "agreement", order=("role", "organisation__name")),
        help_text="Every organisation party to it, with its role.",
    ),
    Many(
        "commitments",
        # Inside its agreement, a commitment does not repeat the agreement.
        # Nor its reports, which its own record lists (its status is the latest's).
        COMMITMENT.without(
            "AgreementCommitment", "slug", "agreement", "reports", "disputed_fields"
        ),
        Rows(Commitment, "agreement", order=("party__name", "id")),
        help_text="What each party undertook, with the quotes that say so.",
    ),
    DisputedFields(),
    Citations(),
)


# Sources -----------------------------------------------------------------------------


SOURCE = Shape(
    "Source",
    Source,
    slug(),
    page(SOURCE_PAGE, help_text="The source's page in the web interface, quotes marked."),
    text("title"),
    text("outlet", "Empty when unknown."),
    text(
        "original_url",
        "Where the article was published, when known (an address, or empty).",
        source="url",
    ),
    choice("language", Language, "Language of the text."),
    Date("published_on", "Publication date, when the source gives one."),
    precision("published_on_precision", "the publication date"),
    Date(
        "page_dated_on",
        "The date the page prints in its header, which may be the day it was displayed "
        "rather than the day the article was published.",
    ),
    text("notes", "What is uncertain about this source."),
    RelatedCount(
        "citation_count", "Citation", "source", "How many quotes the tracker takes from it."
    ),
)


class QuoteSerializer(StrictSerializer):
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
            ("report", "report"),
        ],
        help_text="What kind of record the quote backs.",
    )
    record = serializers.CharField(help_text="The record it backs, in words.")
    record_url = serializers.URLField(help_text="The web page of the record it backs.")


def quotes(source, links):
    return [
        {
            "quote": citation.quote,
            "supports": citation.target_name,
            "record": citation.target_label(),
            "record_url": links(citation.target),
        }
        for citation in source.quote_list
    ]


def load_quotes(sources):
    # One source at a time: the quotes come as instances, each with the record it backs.
    prefetch_related_objects(
        sources,
        Prefetch(
            "citations",
            queryset=Citation.objects.with_targets().defer("source__text", "source__search_text"),
            to_attr="quote_list",
        ),
    )


MENTION = Shape(
    "Mention",
    Mention,
    Computed(
        "kind",
        serializers.ChoiceField(
            choices=[("organisation", "organisation"), ("person", "person")],
            help_text="What kind of record the name belongs to.",
        ),
        Case(When(organisation__isnull=False, then=Value("organisation")), default=Value("person")),
    ),
    Computed(
        "slug",
        serializers.SlugField(help_text="The record's slug."),
        Coalesce(F("organisation__slug"), F("person__slug")),
    ),
    Computed(
        "name",
        serializers.CharField(help_text="The record's name."),
        Coalesce(F("organisation__name"), F("person__name")),
    ),
    text("text", "The name as the source writes it."),
    Column(
        "start",
        serializers.IntegerField(help_text="Where it starts: a character offset into `text`."),
    ),
    Column("end", serializers.IntegerField(help_text="Where it ends (exclusive).")),
    Column(
        "ambiguous",
        serializers.BooleanField(
            help_text="The name belongs to several records: one mention for each, none chosen."
        ),
    ),
)


SOURCE_DETAIL = SOURCE.extend(
    "SourceDetail",
    text("text", "The full text of the source."),
    # The quotes of one source, each with the record it backs: instances, not rows, since
    # each kind of record names itself its own way.
    Custom(
        "quotes",
        QuoteSerializer(many=True, help_text="Every quote taken from it and what it backs."),
        quotes,
        load=load_quotes,
    ),
    Many(
        "mentions",
        MENTION,
        Rows(Mention, "source", order=("start", "end", "id")),
        help_text="Every known organisation and person the text names, in order, found by the "
        "tracker (not typed): a name several records share gives one ambiguous mention each.",
    ),
)


OrganisationSerializer = ORGANISATION.record_serializer()
PersonSerializer = PERSON.record_serializer()
AgreementSerializer = AGREEMENT.record_serializer()
CommitmentSerializer = COMMITMENT.record_serializer()
SourceSerializer = SOURCE.record_serializer()
SourceDetailSerializer = SOURCE_DETAIL.record_serializer()
