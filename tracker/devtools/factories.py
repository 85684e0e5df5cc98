"""factory-boy factories for every model; the synthetic data generator uses them too."""

import datetime

import factory
from factory.django import DjangoModelFactory

from tracker import models
from tracker.choices import (
    AgreementKind,
    AgreementStatus,
    CommitmentCategory,
    CommitmentStatus,
    Language,
    LinkKind,
    NameKind,
    OrganisationKind,
    PartyRole,
)


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = models.Source
        django_get_or_create = ("slug",)

    title = factory.Faker("sentence", nb_words=8, locale="fr_FR")
    slug = factory.Sequence(lambda n: f"source-{n}")
    outlet = factory.Faker("company", locale="fr_FR")
    language = Language.FRENCH
    published_on = factory.Faker("date_between", start_date="-5y", end_date="today")
    text = factory.Faker("paragraph", nb_sentences=12, locale="fr_FR")


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = models.Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    acronym = factory.Sequence(lambda n: f"ORG{n}")
    kind = OrganisationKind.COMPANY
    country = "MA"


class OrganisationNameFactory(DjangoModelFactory):
    class Meta:
        model = models.OrganisationName

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Other name {n}")
    kind = NameKind.TRANSLATION
    language = Language.ENGLISH


class OrganisationLinkFactory(DjangoModelFactory):
    class Meta:
        model = models.OrganisationLink

    from_organisation = factory.SubFactory(OrganisationFactory)
    to_organisation = factory.SubFactory(OrganisationFactory)
    kind = LinkKind.MEMBER_OF


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = models.Person
        django_get_or_create = ("slug",)

    name = factory.Faker("name", locale="fr_FR")
    slug = factory.Sequence(lambda n: f"person-{n}")


class PositionFactory(DjangoModelFactory):
    class Meta:
        model = models.Position

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Director {n}")


class AgreementFactory(DjangoModelFactory):
    class Meta:
        model = models.Agreement
        django_get_or_create = ("slug",)

    title = factory.Sequence(lambda n: f"Agreement {n}")
    slug = factory.Sequence(lambda n: f"agreement-{n}")
    kind = AgreementKind.PARTNERSHIP
    status = AgreementStatus.SIGNED
    signed_on = factory.Faker("date_between", start_date="-5y", end_date="today")
    place = "Casablanca"


class AgreementPartyFactory(DjangoModelFactory):
    class Meta:
        model = models.AgreementParty

    agreement = factory.SubFactory(AgreementFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = PartyRole.SIGNATORY


class CommitmentFactory(DjangoModelFactory):
    """A commitment by a party of its agreement (the party is added to it if need be)."""

    class Meta:
        model = models.Commitment

    slug = factory.Sequence(lambda n: f"commitment-{n}")
    agreement = factory.SubFactory(AgreementFactory)
    party = factory.SubFactory(OrganisationFactory)
    description = factory.Faker("sentence", nb_words=12)
    category = CommitmentCategory.SUPPORT
    status = CommitmentStatus.ANNOUNCED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        models.AgreementParty.objects.get_or_create(
            agreement=kwargs["agreement"], organisation=kwargs["party"]
        )
        return super()._create(model_class, *args, **kwargs)


class CitationFactory(DjangoModelFactory):
    """A citation of an organisation by default, quoting the first words of its source."""

    class Meta:
        model = models.Citation

    source = factory.SubFactory(SourceFactory)
    quote = factory.LazyAttribute(lambda citation: " ".join(citation.source.text.split()[:6]))
    organisation = factory.SubFactory(OrganisationFactory)


class CommitmentReportFactory(DjangoModelFactory):
    """A progress report on a commitment, a year after its agreement was signed."""

    class Meta:
        model = models.CommitmentReport

    commitment = factory.SubFactory(CommitmentFactory)
    reported_on = factory.LazyAttribute(
        lambda report: (
            (report.commitment.agreement.signed_on or datetime.date(2022, 1, 1))
            + datetime.timedelta(days=365)
        )
    )
    status = CommitmentStatus.IN_PROGRESS
    summary = factory.Faker("sentence", nb_words=8)


ACCORD = "2021-12-28-accord-industrialisation-sourcing-local-dispositifs-medicaux"
PLANTED_QUOTE = "the accord on the local sourcing of medical devices was signed on 27 December 2021"


def plant_accord_disagreement():
    """A synthetic source that dates the 28 December 2021 accord a day earlier, cited for its
    signing date: the accord is then disputed on `signed_on` (the article data must be loaded).

    Returns the citation.
    """
    source = SourceFactory(
        slug="synthetic-accord-dated-27-december",
        title="Synthetic source: the accord dated 27 December 2021",
        language=Language.ENGLISH,
        published_on=datetime.date(2022, 1, 10),
        text=f"A test article. According to this report, {PLANTED_QUOTE}, in Rabat.",
    )
    citation = models.Citation(
        source=source,
        quote=PLANTED_QUOTE,
        agreement=models.Agreement.objects.get(slug=ACCORD),
        field="signed_on",
        value="2021-12-27",
    )
    citation.full_clean()
    citation.save()
    return citation
