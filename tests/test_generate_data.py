import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker import models
from tracker.choices import CommitmentStatus, Language, NameKind
from tracker.models import CITATION_TARGETS
from tracker.text import fold, quote_occurs_in

SMALL = {
    "organisations": 50,
    "people": 40,
    "agreements": 60,
    "commitments": 200,
    "citations": 400,
    "sources": 10,
}


def generate(seed=7, **options):
    sizes = {**SMALL, **options}
    out = io.StringIO()
    call_command("generate_data", seed=seed, no_progress=True, stdout=out, **sizes)
    return out.getvalue()


def snapshot():
    """The dataset as a user sees it: natural keys and values, no primary keys."""
    return {
        "organisations": list(
            models.Organisation.objects.order_by("slug").values_list(
                "slug", "name", "acronym", "kind", "country", "search_text"
            )
        ),
        "other names": sorted(
            models.OrganisationName.objects.values_list(
                "organisation__slug", "name", "kind", "language"
            )
        ),
        "links": sorted(
            models.OrganisationLink.objects.values_list(
                "from_organisation__slug", "kind", "to_organisation__slug", "started_on", "ended_on"
            )
        ),
        "positions": sorted(
            models.Position.objects.values_list(
                "person__slug", "organisation__slug", "title", "ended_on"
            )
        ),
        "parties": sorted(
            models.AgreementParty.objects.values_list(
                "agreement__slug", "organisation__slug", "role", "signed_by__slug"
            )
        ),
        "agreements": list(
            models.Agreement.objects.order_by("slug").values_list(
                "slug", "title", "kind", "status", "signed_on", "signed_on_precision", "place"
            )
        ),
        "commitments": list(
            models.Commitment.objects.order_by("slug").values_list(
                "slug",
                "agreement__slug",
                "party__slug",
                "beneficiary__slug",
                "description",
                "status",
                "due_on",
                "met_on",
            )
        ),
        "sources": list(
            models.Source.objects.order_by("slug").values_list(
                "slug", "title", "language", "published_on", "text"
            )
        ),
        "citations": sorted(
            models.Citation.objects.values_list(
                "source__slug",
                "quote",
                "organisation__slug",
                "person__slug",
                "agreement__slug",
                "commitment__slug",
                "agreement_party__organisation__slug",
                "position__title",
                "organisation_link__kind",
            ),
            key=repr,
        ),
    }


@pytest.mark.django_db
def test_generates_the_sizes_asked_for_with_a_history_row_each():
    output = generate()

    assert models.Organisation.objects.count() == 50
    assert models.Person.objects.count() == 40
    assert models.Agreement.objects.count() == 60
    assert models.Commitment.objects.count() == 200
    assert models.Citation.objects.count() == 400
    assert models.Source.objects.count() == 10
    assert models.OrganisationLink.objects.count() == 50  # one per organisation by default
    assert "Generated in" in output
    for model in (
        models.Organisation,
        models.OrganisationName,
        models.OrganisationLink,
        models.Person,
        models.Position,
        models.Agreement,
        models.AgreementParty,
        models.Commitment,
        models.Source,
        models.Citation,
    ):
        rows = model.objects.count()
        assert model.history.filter(history_type="+").count() == rows, model.__name__
        assert set(model.history.values_list("id", flat=True)) == set(
            model.objects.values_list("id", flat=True)
        ), model.__name__
    # Each history row is its record as written, with who (nobody), when and why.
    agreement = models.Agreement.objects.exclude(signed_on=None).first()
    written = agreement.history.get()
    assert (written.slug, written.title, written.signed_on) == (
        agreement.slug,
        agreement.title,
        agreement.signed_on,
    )
    assert written.history_change_reason == "Generated synthetic data"
    assert written.history_user is None and written.history_date is not None
    commitment = models.Commitment.objects.first()
    assert commitment.history.get().agreement_id == commitment.agreement_id


@pytest.mark.django_db
def test_writes_in_bulk_not_row_by_row():
    with CaptureQueriesContext(connection) as queries:
        generate()
    rows = sum(
        model.objects.count()
        for model in (
            models.Organisation,
            models.OrganisationName,
            models.OrganisationLink,
            models.Person,
            models.Position,
            models.Agreement,
            models.AgreementParty,
            models.Commitment,
            models.Source,
            models.Citation,
        )
    )
    # Twice the rows are written (records and history); batches, not rows, make queries.
    assert rows > 1000
    assert len(queries) < rows / 10


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_dataset_and_another_seed_another():
    generate(seed=3)
    first = snapshot()
    call_command(
        "generate_data", seed=3, force=True, no_progress=True, stdout=io.StringIO(), **SMALL
    )
    assert snapshot() == first
    call_command(
        "generate_data", seed=4, force=True, no_progress=True, stdout=io.StringIO(), **SMALL
    )
    assert snapshot()["organisations"] != first["organisations"]


@pytest.mark.django_db
def test_every_generated_record_passes_model_validation():
    generate()
    querysets = [
        models.Source.objects.all(),
        models.Organisation.objects.all(),
        models.OrganisationName.objects.select_related("organisation"),
        models.OrganisationLink.objects.all(),
        models.Person.objects.all(),
        models.Position.objects.all(),
        models.Agreement.objects.all(),
        models.AgreementParty.objects.all(),
        # clean() checks the party is a party of the agreement, and the beneficiary another
        models.Commitment.objects.select_related("agreement", "party"),
        # clean() checks exactly one target and that the quote occurs in the source's text
        models.Citation.objects.select_related("source"),
    ]
    for queryset in querysets:
        for record in queryset:
            record.full_clean()


@pytest.mark.django_db
def test_quotes_occur_in_their_sources_and_each_citation_backs_one_record():
    generate()
    for citation in models.Citation.objects.select_related("source"):
        assert quote_occurs_in(citation.quote, citation.source.text), citation.quote
        targets = [name for name in CITATION_TARGETS if getattr(citation, f"{name}_id")]
        assert len(targets) == 1
    # Every agreement and every commitment carries its evidence.
    assert not models.Agreement.objects.filter(citations__isnull=True).exists()
    assert not models.Commitment.objects.filter(citations__isnull=True).exists()


@pytest.mark.django_db
def test_commitments_in_every_status_with_dates_that_fit_it():
    generate()
    statuses = set(models.Commitment.objects.values_list("status", flat=True))
    assert statuses == set(CommitmentStatus.values)
    for commitment in models.Commitment.objects.select_related("agreement"):
        if commitment.met_on:
            assert commitment.status in (CommitmentStatus.MET, CommitmentStatus.PARTLY_MET)
            if commitment.agreement.signed_on:
                assert commitment.met_on >= commitment.agreement.signed_on
        assert models.AgreementParty.objects.filter(
            agreement=commitment.agreement_id, organisation=commitment.party_id
        ).exists()


@pytest.mark.django_db
def test_agreements_have_two_to_six_parties():
    generate()
    for agreement in models.Agreement.objects.prefetch_related("parties"):
        assert 2 <= len(agreement.parties.all()) <= 6


@pytest.mark.django_db
def test_organisations_have_names_in_several_languages_and_are_found_by_them():
    generate()
    languages = set(models.OrganisationName.objects.values_list("language", flat=True))
    assert {Language.ENGLISH, Language.ARABIC} <= languages
    assert models.OrganisationName.objects.filter(kind=NameKind.TRANSLATION).exists()
    assert models.Organisation.objects.exclude(acronym="").exists()
    for organisation in models.Organisation.objects.prefetch_related("other_names"):
        # search_text holds what saving the record in the admin would have written
        expected = set(organisation.compute_search_text().split(" | "))
        assert set(organisation.search_text.split(" | ")) == expected
    translated = models.OrganisationName.objects.filter(kind=NameKind.TRANSLATION).first()
    found = models.Organisation.objects.search(fold(translated.name).upper())
    assert translated.organisation in found


@pytest.mark.django_db
def test_refuses_a_database_that_already_holds_data():
    generate()
    before = snapshot()
    with pytest.raises(CommandError, match="already holds tracker data.*--append.*--force"):
        generate(seed=9)
    assert snapshot() == before


@pytest.mark.django_db
def test_append_adds_beside_the_data_and_force_replaces_it():
    generate(seed=1)
    call_command(
        "generate_data", seed=1, append=True, no_progress=True, stdout=io.StringIO(), **SMALL
    )
    assert models.Organisation.objects.count() == 100
    assert models.Commitment.objects.count() == 400

    call_command(
        "generate_data", seed=2, force=True, no_progress=True, stdout=io.StringIO(), **SMALL
    )
    assert models.Organisation.objects.count() == 50
    assert models.Organisation.history.count() == 50


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sizes, message",
    [
        ({"organisations": -1}, "--organisations must be zero or more"),
        ({"organisations": 1}, "Agreements need parties"),
        ({"agreements": 0}, "Commitments belong to agreements"),
        ({"sources": 0}, "Citations quote sources"),
    ],
)
def test_bad_sizes_are_refused_with_a_clear_message(sizes, message):
    with pytest.raises(CommandError, match=message):
        generate(**sizes)
    assert not models.Organisation.objects.exists()


@pytest.mark.django_db
def test_agreements_claim_their_signing_date_and_a_few_disagreements_are_planted():
    generate()
    claims = models.Citation.objects.filter(field="signed_on").select_related("agreement")
    assert claims.count() >= 30
    disputed = list(models.Agreement.objects.disputed())
    assert 1 <= len(disputed) <= 5
    for claim in claims:
        agreement = claim.agreement
        assert quote_occurs_in(claim.quote, claim.source.text)
        if agreement not in disputed:
            assert claim.value[:4] == str(agreement.signed_on.year)
            assert agreement.signed_on.isoformat().startswith(claim.value)
    for agreement in disputed:
        values = set(agreement.citations.filter(field="signed_on").values_list("value", flat=True))
        # The record keeps its own date; the planted source gives the day before.
        earlier = (agreement.signed_on - datetime.timedelta(days=1)).isoformat()
        assert values == {agreement.signed_on.isoformat(), earlier}
