"""The tracker's records: organisations, people and their positions, agreements, their
parties and commitments, and the sources whose quotes (citations) back each fact.
Validation is mirrored by named database constraints, and every record keeps its history."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import DEFERRED, F, Q
from django.db.models.lookups import Regex
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from . import querysets
from .choices import (
    AgreementKind,
    AgreementStatus,
    ClaimField,
    CommitmentCategory,
    CommitmentStatus,
    DatePrecision,
    FingerprintKind,
    Language,
    LinkKind,
    MemberCountQualifier,
    NameKind,
    OrganisationKind,
    PartyRole,
)
from .claims import CLAIMABLE_FIELDS, claim_type, display_claim, held_value
from .dates import (
    EARLIEST_DATE,
    LATEST_DATE,
    format_partial_date,
    last_day_of,
    normalise_partial_date,
    validate_date_in_range,
)
from .links import record_path
from .text import fold, normalise_quote, quote_occurs_in


def choices_constraint(field, choices):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}),
        name=f"%(class)s_{field}_valid",
        violation_error_message=format_lazy(
            _("{field} must be one of the listed choices."), field=field
        ),
    )


def date_order_constraint(start, end):
    return models.CheckConstraint(
        condition=Q(**{f"{start}__isnull": True})
        | Q(**{f"{end}__isnull": True})
        | Q(**{f"{start}__lte": F(end)}),
        name=f"%(class)s_{start}_before_{end}",
        violation_error_message=format_lazy(
            _("{end} cannot be earlier than {start}."), start=start, end=end
        ),
    )


def date_range_constraint(field):
    """The database's copy of `validate_date_in_range`, for writes that skip validation."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__range": (EARLIEST_DATE, LATEST_DATE)}),
        name=f"%(class)s_{field}_in_range",
        violation_error_message=format_lazy(
            _("{field} must lie between {earliest} and {latest}."),
            field=field,
            earliest=EARLIEST_DATE.isoformat(),
            latest=LATEST_DATE.isoformat(),
        ),
    )


def date_field(verbose_name, **options):
    """An optional date, within the tracker's supported range."""
    return models.DateField(
        verbose_name, null=True, blank=True, validators=[validate_date_in_range], **options
    )


class SearchableModel(models.Model):
    """A record whose case- and accent-folded words are kept in `search_text`.

    The folded copy is written by Python on every save, so SQLite and PostgreSQL answer a
    search identically; bulk writers call `refresh_search_text()` on their querysets.
    """

    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)
    search_prefetch = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.search_text = self.compute_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def search_terms(self):
        raise NotImplementedError

    def compute_search_text(self):
        return fold(" | ".join(term for term in self.search_terms() if term))


class Source(SearchableModel):
    """An article (or other document) that facts are cited from."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    outlet = models.CharField(
        _("outlet"), max_length=200, blank=True, help_text=_("Leave empty when unknown.")
    )
    url = models.URLField(_("address"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    published_on = date_field(_("published on"))
    published_on_precision = models.CharField(
        _("precision of the publication date"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    page_dated_on = date_field(
        _("date in the page header"),
        help_text=_(
            "The date a web page prints in its header, which may be the day it was "
            "displayed rather than the day the article was published."
        ),
    )
    text = models.TextField(_("full text"))
    seed_file = models.CharField(_("seed file"), max_length=200, blank=True)
    notes = models.TextField(
        _("notes"), blank=True, help_text=_("What is uncertain about this source.")
    )

    history = HistoricalRecords()
    objects = querysets.SourceQuerySet.as_manager()

    # The field that names the record to people: suggestions, filter inputs.
    name_field = "title"

    class Meta:
        ordering = ["-published_on", "title"]
        # The lists' order (the admin adds "-id"): a page is read from the index, and only
        # its rows have their citations counted, instead of sorting every source first.
        indexes = [
            models.Index(
                F("published_on").desc(), "title", F("id").desc(), name="source_listed_order_idx"
            ),
            # The admin's outlet filter lists the outlets: from this index, not every row.
            models.Index(fields=["outlet"], name="source_outlet_idx"),
        ]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        # Reading the whole tracker is a permission of its own; Django ties permissions to a
        # model, and every fact comes from a source (tracker/roles.py gives them to roles).
        permissions = [
            ("read_ui", _("Can read the web UI")),
            ("read_api", _("Can read the API")),
        ]
        constraints = [
            choices_constraint("language", Language),
            choices_constraint("published_on_precision", DatePrecision),
            date_range_constraint("published_on"),
            date_range_constraint("page_dated_on"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return record_path("tracker:source-detail", "slug", self.slug)

    def natural_key(self):
        return (self.slug,)

    def search_terms(self):
        return [self.title, self.outlet, self.text]

    def clean(self):
        self.published_on = normalise_partial_date(self.published_on, self.published_on_precision)
        orphaned = self.quotes_missing_from_text()
        if orphaned:
            raise ValidationError({"text": orphaned})

    def quotes_missing_from_text(self, shown=20):
        """Why the text cannot be saved: each cited quote it no longer contains, and its record.

        A record keeps presenting its quote as evidence, so the text must keep every quote
        cited from it (compared as citations are checked: whitespace and quotes normalised).
        """
        if self.pk is None:
            return []
        text = normalise_quote(self.text)
        missing = [
            citation
            for citation in Citation.objects.filter(source_id=self.pk).with_targets()
            if normalise_quote(citation.quote) not in text
        ]
        messages = [
            ValidationError(
                _("The text would no longer contain “%(quote)s”, cited for %(kind)s “%(record)s”."),
                code="orphaned_quote",
                params={
                    "quote": citation.quote,
                    "kind": Citation._meta.get_field(citation.target_name).verbose_name,
                    "record": citation.target_label(),
                },
            )
            for citation in missing[:shown]
        ]
        if len(missing) > shown:
            messages.append(
                ValidationError(
                    _("…and %(count)d more cited quotes."),
                    code="orphaned_quote",
                    params={"count": len(missing) - shown},
                )
            )
        return messages


class Organisation(SearchableModel):
    """A ministry, agency, cluster, company, association, foundation, clinic or university."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=300)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    # Stored as its ISO 3166 code (the API and CSV give the code), shown by its name;
    # blank when the sources do not say.
    country = CountryField(_("country"), default="MA", blank=True)
    description = models.TextField(_("description"), blank=True)
    founded_on = date_field(_("founded on"))
    founded_on_precision = models.CharField(
        _("precision of the founding date"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    # "plus de 40 membres": the number the source gives and how exact it is, so that the
    # number stays a number (sorted, compared) and the page still says "more than 40".
    members = models.PositiveIntegerField(_("members"), null=True, blank=True)
    members_qualifier = models.CharField(
        _("how exact the number of members is"),
        max_length=10,
        choices=MemberCountQualifier.choices,
        default=MemberCountQualifier.EXACT,
    )

    history = HistoricalRecords()
    objects = querysets.OrganisationQuerySet.as_manager()
    citation_target = "organisation"

    # The field that names the record to people: suggestions, filter inputs.
    name_field = "name"

    class Meta:
        ordering = ["name"]
        # The admin list's order (it adds "-id"): a page is read from the index, and only
        # its rows have their related rows counted.
        indexes = [models.Index("name", F("id").desc(), name="organisation_listed_order_idx")]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            choices_constraint("kind", OrganisationKind),
            choices_constraint("founded_on_precision", DatePrecision),
            choices_constraint("members_qualifier", MemberCountQualifier),
            date_range_constraint("founded_on"),
            models.CheckConstraint(
                # The lookup class itself: CountryField reads `country__regex` as a regular
                # expression on country names.
                condition=Q(country="") | Q(Regex(F("country"), r"^[A-Z][A-Z]$")),
                name="%(class)s_country_iso_code",
                violation_error_message=_(
                    "The country must be a two-letter ISO code, such as MA, or left empty."
                ),
            ),
        ]

    def __str__(self):
        if self.acronym and self.acronym not in self.name:
            return f"{self.name} ({self.acronym})"
        return self.name

    def get_absolute_url(self):
        return record_path("tracker:organisation-detail", "slug", self.slug)

    def natural_key(self):
        return (self.slug,)

    search_prefetch = ("other_names",)

    def search_terms(self):
        other_names = [other.name for other in self.other_names.all()] if self.pk else []
        return [self.name, self.acronym, *other_names]

    def members_label(self):
        """'more than 40', 'about 40' or '40', in the active language."""
        return display_claim("organisation", "members", held_value(self, "organisation", "members"))

    def clean(self):
        self.country = str(self.country or "").upper()
        self.founded_on = normalise_partial_date(self.founded_on, self.founded_on_precision)


class OrganisationName(models.Model):
    """Another name an organisation goes by: an acronym, a translation, a former name."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="other_names",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=NameKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)

    history = HistoricalRecords()
    objects = querysets.OrganisationNameQuerySet.as_manager()

    class Meta:
        ordering = ["organisation_id", "name"]
        verbose_name = _("other name")
        verbose_name_plural = _("other names")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="%(class)s_unique_per_organisation",
                violation_error_message=_("This organisation already has this name."),
            ),
            choices_constraint("kind", NameKind),
            choices_constraint("language", Language),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        Organisation.objects.filter(pk=self.organisation_id).refresh_search_text()

    def get_absolute_url(self):
        return self.organisation.get_absolute_url()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        Organisation.objects.filter(pk=self.organisation_id).refresh_search_text()
        return result

    def natural_key(self):
        return (*self.organisation.natural_key(), self.name)

    natural_key.dependencies = ["tracker.organisation"]


class OrganisationLink(models.Model):
    """A directed tie between two organisations: `from_organisation` is `kind` `to_organisation`."""

    from_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="links_out",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LinkKind.choices)
    to_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="links_in",
        verbose_name=_("related organisation"),
    )
    started_on = date_field(_("since"))
    ended_on = date_field(_("until"))
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()
    objects = querysets.OrganisationLinkQuerySet.as_manager()

    class Meta:
        ordering = ["from_organisation__name", "kind", "to_organisation__name"]
        verbose_name = _("link between organisations")
        verbose_name_plural = _("links between organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["from_organisation", "kind", "to_organisation"],
                name="%(class)s_unique",
                violation_error_message=_("These organisations are already linked this way."),
            ),
            models.CheckConstraint(
                condition=~Q(from_organisation=F("to_organisation")),
                name="%(class)s_not_to_itself",
                violation_error_message=_("An organisation cannot be linked to itself."),
            ),
            choices_constraint("kind", LinkKind),
            date_order_constraint("started_on", "ended_on"),
            date_range_constraint("started_on"),
            date_range_constraint("ended_on"),
        ]

    def __str__(self):
        return str(self.get_kind_display())

    def get_absolute_url(self):
        return self.from_organisation.get_absolute_url()

    def natural_key(self):
        return (self.from_organisation.slug, self.kind, self.to_organisation.slug)

    natural_key.dependencies = ["tracker.organisation"]


class Person(SearchableModel):
    """Someone who acts or speaks for an organisation."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()
    objects = querysets.PersonQuerySet.as_manager()

    # The field that names the record to people: suggestions, filter inputs.
    name_field = "name"

    class Meta:
        ordering = ["name"]
        # The admin list's order (it adds "-id"): a page is read from the index, and only
        # its rows have their related rows counted.
        indexes = [models.Index("name", F("id").desc(), name="person_listed_order_idx")]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return record_path("tracker:person-detail", "slug", self.slug)

    def natural_key(self):
        return (self.slug,)

    def search_terms(self):
        return [self.name]


class Position(models.Model):
    """A person's role in an organisation; no end date means the role is current."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="positions", verbose_name=_("person")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="positions",
        verbose_name=_("organisation"),
    )
    title = models.CharField(_("title"), max_length=200)
    started_on = date_field(_("since"))
    ended_on = date_field(_("until"))

    history = HistoricalRecords()
    objects = querysets.PositionQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "title", "person__name"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation", "title"],
                name="%(class)s_unique",
                violation_error_message=_("This person already holds this title here."),
            ),
            date_order_constraint("started_on", "ended_on"),
            date_range_constraint("started_on"),
            date_range_constraint("ended_on"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return self.person.get_absolute_url()

    def natural_key(self):
        return (self.person.slug, self.organisation.slug, self.title)

    natural_key.dependencies = ["tracker.person", "tracker.organisation"]

    @property
    def is_current(self):
        return self.ended_on is None


class Agreement(SearchableModel):
    """A signed (or announced) accord between organisations."""

    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    title = models.CharField(_("title"), max_length=400)
    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AgreementStatus.choices,
        default=AgreementStatus.SIGNED,
    )
    signed_on = date_field(_("signed on"))
    signed_on_precision = models.CharField(
        _("precision of the signing date"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    history = HistoricalRecords()
    objects = querysets.AgreementQuerySet.as_manager()
    citation_target = "agreement"

    # The field that names the record to people: suggestions, filter inputs.
    name_field = "title"

    class Meta:
        ordering = [F("signed_on").desc(nulls_last=True), "title"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            choices_constraint("kind", AgreementKind),
            choices_constraint("status", AgreementStatus),
            choices_constraint("signed_on_precision", DatePrecision),
            date_range_constraint("signed_on"),
        ]
        # And `agreement_listed_order_idx`, in this order, made by migration 0017 for each
        # database: SQLite writes no NULLS LAST in an index (its DESC puts them last anyway).
        indexes = [models.Index(fields=["signed_on"], name="agreement_signed_on_idx")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Its commitments were first heard of at its signing (`Commitment.last_heard_on`).
        loaded = getattr(self, "signed_on_loaded", DEFERRED)
        if self.__dict__.get("signed_on", DEFERRED) != loaded:
            if loaded is not DEFERRED:
                Commitment.objects.filter(agreement=self).keep_last_heard()
            self.signed_on_loaded = self.__dict__.get("signed_on", DEFERRED)

    def get_absolute_url(self):
        return record_path("tracker:agreement-detail", "slug", self.slug)

    @classmethod
    def from_db(cls, db, field_names, values):
        agreement = super().from_db(db, field_names, values)
        agreement.signed_on_loaded = agreement.__dict__.get("signed_on", DEFERRED)
        return agreement

    def natural_key(self):
        return (self.slug,)

    def search_terms(self):
        return [self.title, self.summary, self.place]

    def clean(self):
        self.signed_on = normalise_partial_date(self.signed_on, self.signed_on_precision)


class AgreementParty(models.Model):
    """An organisation's part in an agreement, and who signed for it."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="parties", verbose_name=_("agreement")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="agreement_parts",
        verbose_name=_("organisation"),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=PartyRole.choices, default=PartyRole.SIGNATORY
    )
    signed_by = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
        verbose_name=_("signed by"),
    )

    history = HistoricalRecords()
    objects = querysets.AgreementPartyQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "role", "organisation__name"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organisation"],
                name="%(class)s_unique",
                violation_error_message=_(
                    "This organisation is already a party to this agreement."
                ),
            ),
            choices_constraint("role", PartyRole),
        ]

    def __str__(self):
        return str(self.get_role_display())

    def get_absolute_url(self):
        return self.agreement.get_absolute_url()

    def natural_key(self):
        return (self.agreement.slug, self.organisation.slug)

    natural_key.dependencies = ["tracker.agreement", "tracker.organisation"]

    def commitments_made(self):
        """The commitments this party made in its agreement: while any exists, it stays a party.

        A commitment points at the agreement and the organisation, not at this row, so the
        database alone would let the party go and leave a commitment by a non-party behind.
        """
        return Commitment.objects.filter(
            agreement_id=self.agreement_id, party_id=self.organisation_id
        )


class Commitment(SearchableModel):
    """What one party undertook in an agreement, and what became of it."""

    slug = models.SlugField(
        _("slug"),
        max_length=150,
        unique=True,
        blank=True,
        help_text=_("Leave empty to make one from the description."),
    )
    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="commitments", verbose_name=_("agreement")
    )
    party = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="commitments",
        verbose_name=_("party"),
        help_text=_(
            "The organisation that made the commitment; it must be a party of the agreement."
        ),
    )
    beneficiary = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefits",
        verbose_name=_("beneficiary"),
    )
    beneficiary_description = models.CharField(
        _("beneficiaries (in words)"),
        max_length=300,
        blank=True,
        help_text=_(
            "For beneficiaries that are not one organisation, such as 'local manufacturers'."
        ),
    )
    description = models.TextField(_("description"))
    category = models.CharField(_("category"), max_length=24, choices=CommitmentCategory.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=CommitmentStatus.choices,
        default=CommitmentStatus.ANNOUNCED,
    )
    due_on = date_field(_("due on"))
    met_on = date_field(_("met on"))
    # The status and date staff typed on the commitment itself, kept while its progress
    # reports decide `status` and `met_on` (tracker/reports.py), and given back when the last
    # report goes. Empty while the commitment has no report.
    own_status = models.CharField(
        _("status before any report"),
        max_length=20,
        choices=CommitmentStatus.choices,
        blank=True,
        editable=False,
    )
    own_met_on = date_field(_("met on, before any report"), editable=False)
    # Kept from its progress reports too, so that the lists of what needs attention filter on
    # an indexed column instead of reading every commitment's reports: the date of its latest
    # report, and the latest date a report gave it a new status.
    latest_news_on = date_field(_("latest news on"), editable=False)
    status_changed_on = date_field(_("status last changed on"), editable=False)
    # The latest of its agreement's signing (its first news) and its latest report, kept by
    # `save`, `Agreement.save` and `CommitmentQuerySet.keep_last_heard`: the no-news list
    # filters on it alone, without joining the agreements.
    last_heard_on = date_field(_("last heard of on"), editable=False)

    history = HistoricalRecords()
    objects = querysets.CommitmentQuerySet.as_manager()
    citation_target = "commitment"

    # The field that names the record to people: suggestions, filter inputs.
    name_field = "description"

    class Meta:
        # Column orderings: ordering through a join sorts every row of a large table.
        ordering = ["agreement_id", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            choices_constraint("category", CommitmentCategory),
            choices_constraint("status", CommitmentStatus),
            models.CheckConstraint(
                condition=Q(own_status="") | Q(own_status__in=CommitmentStatus.values),
                name="%(class)s_own_status_valid",
                violation_error_message=_("own_status must be one of the listed choices."),
            ),
            models.CheckConstraint(
                condition=Q(met_on__isnull=True)
                | Q(status__in=[CommitmentStatus.MET, CommitmentStatus.PARTLY_MET]),
                name="%(class)s_met_on_only_when_met",
                violation_error_message=_(
                    "Only a met or partly met commitment has a date it was met."
                ),
            ),
            date_range_constraint("due_on"),
            date_range_constraint("met_on"),
            date_range_constraint("own_met_on"),
            date_range_constraint("latest_news_on"),
            date_range_constraint("status_changed_on"),
            date_range_constraint("last_heard_on"),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="commitment_status_due_idx"),
            models.Index(
                fields=["status", "last_heard_on", "agreement"], name="commitment_status_heard_idx"
            ),
            models.Index(fields=["status_changed_on"], name="commitment_changed_idx"),
            # Open commitments in the lists' order: the overdue and no-news lists walk it and
            # stop at a page, where sorting every match grew with the data.
            models.Index(
                fields=["agreement", "id"],
                condition=Q(status__in=CommitmentStatus.open_values()),
                name="commitment_open_order_idx",
            ),
        ]

    def __str__(self):
        return self.description if len(self.description) <= 80 else self.description[:79] + "…"

    def save(self, *args, **kwargs):
        self.fill_slug()
        signed_on = self.agreement.signed_on if self.agreement_id else None
        self.last_heard_on = max(
            (day for day in (self.latest_news_on, signed_on) if day is not None), default=None
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "last_heard_on"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return record_path("tracker:commitment-detail", "pk", self.pk)

    def natural_key(self):
        return (self.slug,)

    def search_terms(self):
        return [self.description, self.beneficiary_description]

    def is_overdue(self, today=None):
        """Due before today and still open: `Commitment.objects.overdue()`, for one row."""
        today = today or timezone.localdate()
        return bool(
            self.due_on and self.due_on < today and self.status in CommitmentStatus.open_values()
        )

    def fill_slug(self):
        """Give a commitment saved without a slug one made from its description; `slugs_taken`
        holds those given to other new commitments of the same submission."""
        if not self.slug and self.description:
            taken = getattr(self, "slugs_taken", None)
            self.slug = Commitment.objects.unique_slug(self.description, taken=taken or ())
            if taken is not None:
                taken.add(self.slug)

    def clean(self):
        self.fill_slug()
        errors = {}
        # The admin edits parties and commitments on one page and says which parties the
        # agreement will have once saved (it may not be saved yet); elsewhere the database says.
        expected = getattr(self, "expected_party_ids", None)
        if self.party_id and (expected is not None or self.agreement_id):
            if expected is not None:
                is_party = self.party_id in expected
            else:
                is_party = AgreementParty.objects.filter(
                    agreement_id=self.agreement_id, organisation_id=self.party_id
                ).exists()
            if not is_party:
                errors["party"] = _(
                    "%(party)s is not a party of the agreement “%(agreement)s”; add it as a "
                    "party first."
                ) % {"party": self.party, "agreement": self.agreement.title or _("this agreement")}
        if self.beneficiary_id and self.beneficiary_id == self.party_id:
            errors["beneficiary"] = _("A party does not commit to itself.")
        if errors:
            raise ValidationError(errors)


class CommitmentReport(models.Model):
    """What a source reported, at a date, about how far a commitment has got."""

    commitment = models.ForeignKey(
        Commitment,
        # A report describes one commitment and means nothing without it.
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("commitment"),
    )
    reported_on = models.DateField(
        _("reported on"),
        validators=[validate_date_in_range],
        help_text=_("The date the report describes, as precisely as the source gives it."),
        error_messages={
            "blank": _("A progress report needs the date it describes."),
            "null": _("A progress report needs the date it describes."),
        },
    )
    reported_on_precision = models.CharField(
        _("precision of the report's date"),
        max_length=8,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    status = models.CharField(_("status"), max_length=20, choices=CommitmentStatus.choices)
    summary = models.CharField(_("summary"), max_length=500)

    history = HistoricalRecords()
    objects = querysets.CommitmentReportQuerySet.as_manager()

    class Meta:
        ordering = ["commitment_id", "reported_on", "id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "reported_on", "status"],
                name="%(class)s_unique",
                violation_error_message=_(
                    "This commitment already has a report with this date and status."
                ),
            ),
            choices_constraint("status", CommitmentStatus),
            choices_constraint("reported_on_precision", DatePrecision),
            date_range_constraint("reported_on"),
        ]
        indexes = [models.Index(fields=["reported_on"], name="report_reported_on_idx")]

    def __str__(self):
        return f"{format_partial_date(self.reported_on, self.reported_on_precision)}: " + str(
            self.get_status_display()
        )

    def get_absolute_url(self):
        path = record_path("tracker:commitment-detail", "pk", self.commitment_id)
        return f"{path}#report-{self.pk}"

    def natural_key(self):
        return (*self.commitment.natural_key(), self.reported_on.isoformat(), self.status)

    natural_key.dependencies = ["tracker.commitment"]

    def clean(self):
        self.reported_on = normalise_partial_date(self.reported_on, self.reported_on_precision)
        # The commitment may be being added on the same page (not saved yet): it is attached.
        commitment = self._meta.get_field("commitment").get_cached_value(self, None)
        if commitment is None and self.commitment_id:
            commitment = self.commitment
        if self.reported_on is None or commitment is None or not commitment.agreement_id:
            return
        signed_on = commitment.agreement.signed_on
        # A partial date stands for its whole month or year: refused only when all of it
        # lies before the signing.
        if signed_on and last_day_of(self.reported_on, self.reported_on_precision) < signed_on:
            raise ValidationError(
                {
                    "reported_on": _(
                        "A progress report cannot describe a date before its agreement was "
                        "signed (%(signed_on)s)."
                    )
                    % {
                        "signed_on": format_partial_date(
                            signed_on, commitment.agreement.signed_on_precision
                        )
                    }
                }
            )


CITATION_TARGETS = (
    "organisation",
    "organisation_link",
    "person",
    "position",
    "agreement",
    "agreement_party",
    "commitment",
    "report",
)


def claimable_field():
    """No field and no value, or a value for a field the citation's record can be claimed on."""
    claimable = Q()
    for target, fields in CLAIMABLE_FIELDS.items():
        claimable |= Q(**{f"{target}__isnull": False, "field__in": list(fields)})
    return Q(field="", value="") | (claimable & ~Q(value=""))


def exactly_one_target():
    condition = Q()
    for target in CITATION_TARGETS:
        only_this = Q(**{f"{target}__isnull": False})
        for other in CITATION_TARGETS:
            if other != target:
                only_this &= Q(**{f"{other}__isnull": True})
        condition |= only_this
    return condition


class Citation(models.Model):
    """A verbatim quote from a source, backing exactly one record."""

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="citations", verbose_name=_("source")
    )
    quote = models.TextField(
        _("quote"), help_text=_("Words copied from the source's text, exactly as they appear.")
    )
    note = models.CharField(
        _("note"),
        max_length=300,
        blank=True,
        help_text=_("What the quote establishes, if not obvious."),
    )
    organisation = models.ForeignKey(
        Organisation,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="citations",
        verbose_name=_("organisation"),
    )
    organisation_link = models.ForeignKey(
        OrganisationLink,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="citations",
        verbose_name=_("link between organisations"),
    )
    person = models.ForeignKey(
        Person,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="citations",
        verbose_name=_("person"),
    )
    position = models.ForeignKey(
        Position,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="citations",
        verbose_name=_("position"),
    )
    agreement = models.ForeignKey(
        Agreement,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="citations",
        verbose_name=_("agreement"),
    )
    agreement_party = models.ForeignKey(
        AgreementParty,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="citations",
        verbose_name=_("party"),
    )
    commitment = models.ForeignKey(
        Commitment,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="citations",
        verbose_name=_("commitment"),
    )
    report = models.ForeignKey(
        CommitmentReport,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="citations",
        verbose_name=_("progress report"),
    )

    # What the quote says of one field of its record, when it gives a value for one
    # (tracker/claims.py); blank when it backs the record as a whole.
    field = models.CharField(
        _("field"),
        max_length=20,
        choices=ClaimField.choices,
        blank=True,
        default="",
        help_text=_("The field of the record whose value this quote reports, if any."),
    )
    value = models.CharField(
        _("value"),
        max_length=200,
        blank=True,
        default="",
        help_text=_(
            "The value the source reports for that field: a date as 2021-12-28, 2021-12 or "
            "2021, a status as its code, a number of members as 40 (>40: more than 40)."
        ),
    )

    # Where the quote sits in the source's text, when it was taken from a selection there:
    # characters start to end of `source.text`. Quotes typed by hand have none.
    start = models.PositiveIntegerField(_("start"), null=True, blank=True, editable=False)
    end = models.PositiveIntegerField(_("end"), null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = querysets.CitationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        constraints = [
            models.CheckConstraint(
                condition=exactly_one_target(),
                name="%(class)s_exactly_one_record",
                violation_error_message=_("A citation supports exactly one record."),
            ),
            *(
                models.UniqueConstraint(
                    fields=["source", "quote", target],
                    condition=Q(**{f"{target}__isnull": False}),
                    name=f"%(class)s_unique_for_{target}",
                    violation_error_message=_("This record already cites this quote."),
                )
                for target in CITATION_TARGETS
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True) | Q(end__gt=F("start")),
                name="%(class)s_offsets_both_or_neither",
                violation_error_message=_("A quote's place in the text has a start and an end."),
            ),
            models.CheckConstraint(
                condition=claimable_field(),
                name="%(class)s_field_claimable",
                violation_error_message=_(
                    "A citation reports a value only for a field its record has, and a field "
                    "only with a value."
                ),
            ),
        ]

    def __str__(self):
        # Bare words: messages and pages put a record's name in quotation marks themselves.
        return f"{self.quote[:60]}…" if len(self.quote) > 60 else self.quote

    def get_absolute_url(self):
        return f"{self.source.get_absolute_url()}#citation-{self.pk}"

    @property
    def target_name(self):
        for target in CITATION_TARGETS:
            if getattr(self, f"{target}_id") is not None:
                return target
        return None

    @property
    def target(self):
        name = self.target_name
        return getattr(self, name) if name else None

    def natural_key(self):
        return (self.source.slug, self.quote, self.target_name, *self.target.natural_key())

    natural_key.dependencies = [
        "tracker.source",
        "tracker.organisationlink",
        "tracker.position",
        "tracker.agreementparty",
        "tracker.commitment",
        "tracker.commitmentreport",
    ]

    def chosen_targets(self):
        """The names of the records this citation is given to support.

        A record that is being added in the same form as its citation (an admin add page) has
        no id yet; it counts as soon as the citation is attached to it.
        """
        return [
            target
            for target in CITATION_TARGETS
            if getattr(self, f"{target}_id") is not None
            or self._meta.get_field(target).get_cached_value(self, None) is not None
        ]

    def target_label(self):
        """The record this citation supports, in words: the one label every face shows.

        Reads only what `with_targets()` loads, so a list of citations costs no query more.
        """
        target = self.target
        name = self.target_name
        if name == "organisation_link":
            return (
                f"{target.from_organisation} — {target.get_kind_display()} — "
                f"{target.to_organisation}"
            )
        if name == "position":
            return f"{target.person} — {target.title}, {target.organisation}"
        if name == "agreement_party":
            return f"{target.organisation} — {target.get_role_display()}, {target.agreement}"
        if name == "report":
            return f"{target.commitment} — {target}"
        return str(target)

    def clean(self):
        errors = {}
        if len(self.chosen_targets()) != 1:
            errors["__all__"] = _("A citation supports exactly one record; choose one.")
        if self.source_id and self.quote and not quote_occurs_in(self.quote, self.source.text):
            errors["quote"] = _("This quote does not occur in the text of “%(source)s”.") % {
                "source": self.source
            }
        errors.update(self.claim_errors())
        if errors:
            raise ValidationError(errors)

    def claim_errors(self):
        """What is wrong with the field and value, if anything; writes the value in its
        normal form when it is right."""
        self.value = (self.value or "").strip()
        if not self.field:
            if self.value:
                return {"field": _("Choose the field this value is for, or clear the value.")}
            return {}
        targets = self.chosen_targets()
        target = targets[0] if len(targets) == 1 else None
        kind = claim_type(target, self.field)
        if kind is None:
            allowed = CLAIMABLE_FIELDS.get(target)
            if not allowed:
                return {
                    "field": _(
                        "Only a citation of an agreement, a commitment or an "
                        "organisation can report a field's value."
                    )
                }
            return {
                "field": _("“%(field)s” is not a field of this record; choose one of: %(allowed)s.")
                % {
                    "field": self.field,
                    "allowed": ", ".join(str(ClaimField(name).label) for name in allowed),
                }
            }
        if not self.value:
            return {
                "value": _("Give the value the source reports for “%(field)s”.")
                % {"field": ClaimField(self.field).label}
            }
        try:
            self.value = kind.normalise(self.value)
        except ValidationError as error:
            return {
                "value": [
                    _("Not a value for “%(field)s”: %(reason)s")
                    % {"field": ClaimField(self.field).label, "reason": message}
                    for message in error.messages
                ]
            }
        return {}

    def display_value(self):
        """The reported value as people read it."""
        return display_claim(self.target_name, self.field, self.value)


class Mention(models.Model):
    """A place in a source's text where one of an organisation's or a person's names occurs.

    Found by the tracker, never typed: kept up to date when a source's text or a name changes
    (tracker/mentions.py). A name that belongs to several records (an acronym two organisations
    share) gives one ambiguous mention per record, none of them chosen.
    """

    source = models.ForeignKey(
        Source, models.CASCADE, related_name="mentions", verbose_name=_("source")
    )
    organisation = models.ForeignKey(
        Organisation,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="mentions",
        verbose_name=_("organisation"),
    )
    person = models.ForeignKey(
        Person,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="mentions",
        verbose_name=_("person"),
    )
    start = models.PositiveIntegerField(_("start"))
    end = models.PositiveIntegerField(_("end"))
    text = models.CharField(_("text"), max_length=300)
    ambiguous = models.BooleanField(_("ambiguous"), default=False)

    class Meta:
        ordering = ["source", "start", "id"]
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False, person__isnull=True)
                | Q(organisation__isnull=True, person__isnull=False),
                name="%(class)s_one_organisation_or_person",
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="%(class)s_not_empty"),
        ]

    def __str__(self):
        return f"{self.text} ({self.start}–{self.end})"

    @property
    def record(self):
        return self.organisation if self.organisation_id else self.person


class DismissedProposal(models.Model):
    """A name a staff member said is not a new organisation or person, for one source."""

    source = models.ForeignKey(
        Source, models.CASCADE, related_name="dismissed_proposals", verbose_name=_("source")
    )
    name = models.CharField(_("name"), max_length=300, help_text=_("Folded, as search folds."))
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dismissed by"),
    )
    dismissed_at = models.DateTimeField(_("dismissed at"), auto_now_add=True)

    class Meta:
        ordering = ["source", "name"]
        verbose_name = _("dismissed proposal")
        verbose_name_plural = _("dismissed proposals")
        constraints = [
            models.UniqueConstraint(fields=["source", "name"], name="%(class)s_once_per_source")
        ]

    def __str__(self):
        return self.name


class LoadedFixtureRecord(models.Model):
    """A fixture record the article loader has already handled, so it never handles it again.

    Staff may edit, rename or delete what the loader created; remembering what was loaded
    (rather than comparing with what is in the tables) keeps a later load from undoing that.
    """

    fixture = models.CharField(_("fixture"), max_length=200)
    digest = models.CharField(_("digest"), max_length=64)
    label = models.CharField(_("record"), max_length=300)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        ordering = ["fixture", "id"]
        verbose_name = _("loaded fixture record")
        verbose_name_plural = _("loaded fixture records")
        constraints = [
            models.UniqueConstraint(fields=["fixture", "digest"], name="%(class)s_unique")
        ]

    def __str__(self):
        return f"{self.fixture}: {self.label}"


class SourceFingerprint(models.Model):
    """A hash that finds a source again: its address's key, or one of its text's shingles.

    Derived from the source on every save (tracker/ingest.py), so that a new source finds an
    existing one with the same address or nearly the same text through an index, without
    reading every text.
    """

    source = models.ForeignKey(
        Source, models.CASCADE, related_name="fingerprints", verbose_name=_("source")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=FingerprintKind.choices)
    value = models.BigIntegerField(_("value"))

    class Meta:
        ordering = ["source", "kind", "value"]
        verbose_name = _("source fingerprint")
        verbose_name_plural = _("source fingerprints")
        indexes = [models.Index(fields=["kind", "value"], name="tracker_fingerprint_lookup")]
        constraints = [choices_constraint("kind", FingerprintKind)]

    def __str__(self):
        return f"{self.kind} {self.value:x}"
