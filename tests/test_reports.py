"""Progress reports on commitments: what they accept, and how they keep a commitment's status."""

import datetime
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tracker import roles
from tracker.choices import CommitmentStatus, DatePrecision
from tracker.devtools.factories import (
    AgreementFactory,
    CitationFactory,
    CommitmentFactory,
    CommitmentReportFactory,
    SourceFactory,
)
from tracker.models import Citation, Commitment, CommitmentReport

pytestmark = pytest.mark.django_db

SIGNED = datetime.date(2021, 12, 28)


@pytest.fixture
def commitment():
    agreement = AgreementFactory(signed_on=SIGNED)
    return CommitmentFactory(agreement=agreement, status=CommitmentStatus.ANNOUNCED)


def report(commitment, day, status, **fields):
    return CommitmentReportFactory(commitment=commitment, reported_on=day, status=status, **fields)


# Validation -----------------------------------------------------------------------------------


def test_report_without_a_date_is_refused_naming_the_date(commitment):
    unsaved = CommitmentReport(commitment=commitment, status="met", summary="Done.")
    with pytest.raises(ValidationError) as refused:
        unsaved.full_clean()
    assert refused.value.message_dict["reported_on"] == [
        "A progress report needs the date it describes."
    ]


def test_report_dated_before_the_signing_is_refused_naming_the_date(commitment):
    unsaved = CommitmentReport(
        commitment=commitment,
        reported_on=datetime.date(2021, 12, 27),
        status="met",
        summary="Done.",
    )
    with pytest.raises(ValidationError) as refused:
        unsaved.full_clean()
    (message,) = refused.value.message_dict["reported_on"]
    assert "before its agreement was signed" in message
    assert "28 December 2021" in message


def test_report_of_the_signing_month_is_accepted_though_its_first_day_is_earlier(commitment):
    """ "December 2021" includes the signing on the 28th: not a date before it."""
    month = CommitmentReport(
        commitment=commitment,
        reported_on=datetime.date(2021, 12, 15),
        reported_on_precision=DatePrecision.MONTH,
        status="in_progress",
        summary="Under way.",
    )
    month.full_clean()
    assert month.reported_on == datetime.date(2021, 12, 1)


def test_report_status_outside_the_choices_is_refused_by_the_database(commitment):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        CommitmentReport.objects.bulk_create(
            [CommitmentReport(commitment=commitment, reported_on=SIGNED, status="done")]
        )


# Citations ----------------------------------------------------------------------------------


def test_a_report_is_a_citation_target_with_a_label_and_natural_key(commitment):
    reported = report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.IN_PROGRESS)
    source = SourceFactory()
    citation = CitationFactory(source=source, organisation=None, report=reported)
    citation.full_clean()
    loaded = Citation.objects.with_targets().get(pk=citation.pk)
    assert loaded.target_name == "report"
    assert str(commitment) in loaded.target_label()
    assert "In progress" in loaded.target_label()
    assert Citation.objects.get_by_natural_key(*citation.natural_key()) == citation


def test_a_citation_of_a_report_and_a_commitment_at_once_is_refused(commitment):
    from django.db import IntegrityError

    reported = report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.IN_PROGRESS)
    with pytest.raises(IntegrityError):
        CitationFactory(organisation=None, report=reported, commitment=commitment)


# The commitment follows its latest report ---------------------------------------------------


def test_commitment_takes_the_status_of_its_latest_report(commitment):
    report(commitment, datetime.date(2023, 3, 1), CommitmentStatus.MET)
    report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.IN_PROGRESS)
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.MET
    assert commitment.met_on == datetime.date(2023, 3, 1)


def test_commitment_met_on_is_the_first_report_of_the_latest_met_run(commitment):
    report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.MET)
    report(commitment, datetime.date(2023, 3, 1), CommitmentStatus.MET)
    commitment.refresh_from_db()
    assert commitment.met_on == datetime.date(2022, 6, 1)


def test_commitment_gets_its_own_status_back_when_its_last_report_goes(commitment):
    first = report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.NOT_MET)
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.NOT_MET
    first.delete()
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.ANNOUNCED
    assert commitment.own_status == ""


def test_commitment_status_change_from_a_report_is_in_its_history(commitment):
    report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.IN_PROGRESS)
    latest = commitment.history.first()
    assert latest.status == CommitmentStatus.IN_PROGRESS
    assert latest.history_change_reason == "Status followed from its progress reports"


def test_bulk_follow_sets_commitments_from_reports_written_without_signals(commitment):
    from tracker.reports import follow_reports_in_bulk

    other = CommitmentFactory(status=CommitmentStatus.UNKNOWN)
    CommitmentReport.objects.bulk_create(
        [
            CommitmentReport(
                commitment=commitment, reported_on=datetime.date(2022, 6, 1), status="met"
            )
        ]
    )
    assert follow_reports_in_bulk(Commitment.objects.all()) == 1
    commitment.refresh_from_db()
    other.refresh_from_db()
    assert (commitment.status, commitment.met_on) == ("met", datetime.date(2022, 6, 1))
    assert commitment.latest_news_on == commitment.status_changed_on == datetime.date(2022, 6, 1)
    assert commitment.own_status == CommitmentStatus.ANNOUNCED
    assert other.status == CommitmentStatus.UNKNOWN


def test_commitment_keeps_the_dates_of_its_latest_news_and_latest_status_change(commitment):
    report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.IN_PROGRESS)
    report(commitment, datetime.date(2023, 3, 1), CommitmentStatus.IN_PROGRESS)
    commitment.refresh_from_db()
    # The second report only repeats the first: the status last changed in June 2022.
    assert commitment.latest_news_on == datetime.date(2023, 3, 1)
    assert commitment.status_changed_on == datetime.date(2022, 6, 1)
    latest = report(commitment, datetime.date(2024, 1, 15), CommitmentStatus.MET)
    commitment.refresh_from_db()
    assert (commitment.latest_news_on, commitment.status_changed_on) == (
        datetime.date(2024, 1, 15),
        datetime.date(2024, 1, 15),
    )
    latest.delete()
    commitment.refresh_from_db()
    assert commitment.latest_news_on == datetime.date(2023, 3, 1)
    assert commitment.status_changed_on == datetime.date(2022, 6, 1)


def test_a_report_repeating_the_commitments_own_status_is_news_but_no_change(commitment):
    report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.ANNOUNCED)
    commitment.refresh_from_db()
    assert commitment.latest_news_on == datetime.date(2022, 6, 1)
    assert commitment.status_changed_on is None
    assert not Commitment.objects.status_changed(after=datetime.date(2022, 1, 1)).exists()


def random_reports(seed, commitments=40):
    """Commitments with 0–4 reports each on a few dates, some on one day, in any order."""
    import random

    chooser = random.Random(seed)
    days = [datetime.date(2022, month, 1) for month in (2, 5, 9)] + [datetime.date(2023, 1, 1)]
    statuses = [CommitmentStatus.ANNOUNCED, CommitmentStatus.IN_PROGRESS, CommitmentStatus.MET]
    agreement = AgreementFactory(signed_on=SIGNED)
    for _ in range(commitments):
        made = CommitmentFactory(agreement=agreement, status=chooser.choice(statuses))
        pairs = [(day, status) for day in days for status in statuses]
        for day, status in chooser.sample(pairs, chooser.randint(0, 4)):
            report(made, day, status)
    return days


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_change_date_finds_what_reading_every_report_finds(seed):
    """The attention list filters on the kept date; a range closed by `before` reads the
    reports themselves. Both must name the same commitments."""
    days = random_reports(seed)
    far = datetime.date(2100, 1, 1)
    for after in [SIGNED, *days]:
        kept = set(Commitment.objects.status_changed(after=after).values_list("pk", flat=True))
        read = set(
            Commitment.objects.status_changed(after=after, before=far).values_list("pk", flat=True)
        )
        assert kept == read, after
    assert kept, "the random reports changed no status after the last day"


@pytest.mark.parametrize("seed", [1, 2])
def test_the_kept_news_date_finds_the_commitments_with_no_report_since(seed):
    days = random_reports(seed)
    for day in days:
        quiet = set(Commitment.objects.no_news_since(day).values_list("pk", flat=True))
        expected = {
            made.pk
            for made in Commitment.objects.all()
            if not made.reports.filter(reported_on__gte=day).exists()
        }
        assert quiet == expected, day


def test_a_commitment_is_last_heard_of_at_its_signing_or_latest_report(commitment):
    commitment.refresh_from_db()
    assert commitment.last_heard_on == SIGNED
    report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.IN_PROGRESS)
    commitment.refresh_from_db()
    assert commitment.last_heard_on == datetime.date(2022, 6, 1)
    # A signing date corrected to after the report is the latest news again.
    agreement = type(commitment.agreement).objects.get(pk=commitment.agreement_id)
    agreement.signed_on = datetime.date(2022, 9, 1)
    agreement.save()
    commitment.refresh_from_db()
    assert commitment.last_heard_on == datetime.date(2022, 9, 1)
    assert Commitment.objects.no_news_since(datetime.date(2022, 9, 2)).get() == commitment
    assert not Commitment.objects.no_news_since(datetime.date(2022, 9, 1)).exists()


def test_a_commitment_promised_on_an_unknown_date_and_never_reported_is_no_news():
    quiet = CommitmentFactory(agreement=AgreementFactory(signed_on=None))
    assert quiet.last_heard_on is None
    assert Commitment.objects.no_news_since(datetime.date(2000, 1, 1)).get() == quiet


def test_the_attention_filters_read_no_report(commitment, django_assert_num_queries):
    """Quiet and changed commitments are found by the kept dates, an index away, without
    reading every commitment's reports (16 s under load at the default size)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.IN_PROGRESS)
    with CaptureQueriesContext(connection) as queries:
        assert Commitment.objects.no_news_since(datetime.date(2023, 1, 1)).count() == 1
        assert Commitment.objects.status_changed(after=datetime.date(2022, 1, 1)).count() == 1
    assert len(queries) == 2
    assert not [query for query in queries if "commitmentreport" in query["sql"]]


# Every write path keeps the commitment following its reports ---------------------------------


def test_fixture_loader_makes_the_commitment_follow_a_loaded_report(commitment, tmp_path):
    import json

    from tracker.fixtures import load_fixtures

    path = tmp_path / "reports.json"
    path.write_text(
        json.dumps(
            [
                {
                    "model": "tracker.commitmentreport",
                    "fields": {
                        "commitment": [commitment.slug],
                        "reported_on": "2022-06-01",
                        "status": "met",
                        "summary": "Tenu.",
                    },
                }
            ]
        ),
        encoding="utf-8",
    )
    load_fixtures([path])
    commitment.refresh_from_db()
    assert (commitment.status, commitment.met_on) == ("met", datetime.date(2022, 6, 1))


def test_fixture_loader_refuses_a_report_dated_before_the_signing(commitment, tmp_path):
    import json

    from tracker.fixtures import FixtureError, load_fixtures

    path = tmp_path / "reports.json"
    entry = {
        "model": "tracker.commitmentreport",
        "fields": {
            "commitment": [commitment.slug],
            "reported_on": "2020-01-01",
            "status": "met",
            "summary": "Tenu.",
        },
    }
    path.write_text(json.dumps([entry]), encoding="utf-8")
    with pytest.raises(FixtureError, match="reported_on: A progress report cannot describe"):
        load_fixtures([path])
    assert not CommitmentReport.objects.exists()


def test_generator_writes_reports_and_each_commitment_follows_its_latest():
    import io

    from django.core.management import call_command

    call_command(
        "generate_data",
        seed=3,
        no_progress=True,
        stdout=io.StringIO(),
        organisations=30,
        people=20,
        agreements=20,
        commitments=100,
        citations=600,
        sources=10,
    )
    with_reports = Commitment.objects.filter(reports__isnull=False).distinct()
    assert with_reports.count() >= 60
    counts = {c.reports.count() for c in with_reports}
    assert counts <= {1, 2, 3, 4} and len(counts) > 1
    for commitment in with_reports:
        latest = commitment.reports.latest_first().first()
        assert commitment.status == latest.status
        assert (commitment.met_on is not None) == (latest.status in ("met", "partly_met"))
        assert commitment.latest_news_on == latest.reported_on
    # Every commitment is last heard of at its latest report or, without one, its signing.
    for commitment in Commitment.objects.select_related("agreement"):
        news = [commitment.latest_news_on, commitment.agreement.signed_on]
        assert commitment.last_heard_on == max((d for d in news if d), default=None)
    cited = CommitmentReport.objects.filter(citations__isnull=False).distinct().count()
    assert cited == CommitmentReport.objects.count()


# Admin ----------------------------------------------------------------------------------------


def commitment_page_data(admin_client, commitment):
    from tests.test_admin import form_data

    url = reverse("admin:tracker_commitment_change", args=[commitment.pk])
    return url, form_data(admin_client.get(url))


def test_admin_adds_a_report_with_its_quote_on_the_commitment_page_in_one_save(
    admin_client, commitment
):
    source = SourceFactory(text="En juin 2022, les premières commandes ont été passées.")
    url, data = commitment_page_data(admin_client, commitment)
    data.update(
        {
            "reports-TOTAL_FORMS": "1",
            "reports-0-reported_on": "2022-06-01",
            "reports-0-reported_on_precision": "month",
            "reports-0-status": "in_progress",
            "reports-0-summary": "Premières commandes",
            "reports-0-source": source.pk,
            "reports-0-quote": "les premières commandes ont été passées",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context["errors"]
    added = commitment.reports.get()
    assert [c.quote for c in added.citations.all()] == ["les premières commandes ont été passées"]
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.IN_PROGRESS


def test_admin_refuses_a_report_without_a_quote_and_saves_nothing(admin_client, commitment):
    url, data = commitment_page_data(admin_client, commitment)
    data.update(
        {
            "reports-TOTAL_FORMS": "1",
            "reports-0-reported_on": "2022-06-01",
            "reports-0-reported_on_precision": "day",
            "reports-0-status": "met",
            "reports-0-summary": "Tenu",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.OK
    assert "A progress report needs a quote from the source that reports it." in str(
        response.content.decode()
    )
    assert not CommitmentReport.objects.exists()
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.ANNOUNCED


def test_admin_refuses_a_report_dated_before_the_signing_naming_the_date(admin_client, commitment):
    source = SourceFactory(text="Les commandes ont été passées.")
    url, data = commitment_page_data(admin_client, commitment)
    data.update(
        {
            "reports-TOTAL_FORMS": "1",
            "reports-0-reported_on": "2020-06-01",
            "reports-0-reported_on_precision": "day",
            "reports-0-status": "met",
            "reports-0-summary": "Tenu",
            "reports-0-source": source.pk,
            "reports-0-quote": "Les commandes ont été passées.",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.OK
    assert "before its agreement was signed" in response.content.decode()
    assert not CommitmentReport.objects.exists()


def test_admin_report_page_refuses_removing_its_last_quote(admin_client, commitment):
    from tests.test_admin import form_data

    reported = report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.IN_PROGRESS)
    citation = CitationFactory(organisation=None, report=reported)
    url = reverse("admin:tracker_commitmentreport_change", args=[reported.pk])
    data = form_data(admin_client.get(url))
    data["citations-0-DELETE"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.OK
    assert "at least one quote" in response.content.decode()
    assert Citation.objects.filter(pk=citation.pk).exists()


def test_admin_shows_a_reported_commitments_status_as_decided_by_its_reports(
    admin_client, commitment
):
    report(commitment, datetime.date(2022, 6, 1), CommitmentStatus.NOT_MET)
    url, data = commitment_page_data(admin_client, commitment)
    assert "status" not in data  # read only: edited through the reports
    page = admin_client.get(url).content.decode()
    assert "Latest news on:" in page and "Status last changed on:" in page
    data["description"] = "Changed words"
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context["errors"]
    commitment.refresh_from_db()
    assert (commitment.description, commitment.status) == ("Changed words", "not_met")


# Pages ----------------------------------------------------------------------------------------


def cited_report(commitment, day, status, quote_words):
    source = SourceFactory(text=f"Selon le rapport, {quote_words}, dit-on.")
    reported = report(commitment, day, status, summary=f"Summary {status}")
    citation = CitationFactory(source=source, quote=quote_words, organisation=None, report=reported)
    return reported, citation


def test_commitment_page_shows_its_timeline_from_the_promise_with_linked_quotes(
    admin_client, commitment
):
    promise = CitationFactory(organisation=None, commitment=commitment)
    _first, early = cited_report(
        commitment, datetime.date(2022, 6, 1), "in_progress", "les travaux ont commencé"
    )
    _last, late = cited_report(commitment, datetime.date(2023, 2, 1), "met", "tout est livré")
    html = admin_client.get(commitment.get_absolute_url()).content.decode()
    html = html[html.index('id="timeline-heading"') :]
    steps = [html.index(text) for text in ("28 December 2021", "1 June 2022", "1 February 2023")]
    assert steps == sorted(steps)
    for citation in (promise, early, late):
        assert f'href="{citation.get_absolute_url()}"' in html
    assert "Summary met" in html and "Summary in_progress" in html


def test_commitment_page_queries_do_not_grow_with_its_reports(
    admin_client, commitment, django_assert_max_num_queries
):
    cited_report(commitment, datetime.date(2022, 6, 1), "in_progress", "premier pas")
    with django_assert_max_num_queries(50) as few:
        admin_client.get(commitment.get_absolute_url())
    for month in range(2, 10):
        cited_report(commitment, datetime.date(2023, month, 1), "in_progress", f"étape {month}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(commitment.get_absolute_url())
    assert response.content.decode().count('class="timeline-step"') == 10


def test_agreement_page_shows_each_commitments_latest_status_and_news(admin_client, commitment):
    quiet = CommitmentFactory(agreement=commitment.agreement, party=commitment.party)
    cited_report(commitment, datetime.date(2023, 2, 1), "partly_met", "en partie")
    html = admin_client.get(commitment.agreement.get_absolute_url()).content.decode()
    assert "Partly met" in html
    assert "latest news 1 February 2023" in " ".join(html.split())
    assert "no news since the promise" in html
    assert quiet.description in html


def test_commitment_timeline_and_report_refusal_in_french(admin_client, commitment):
    from django.utils import translation

    cited_report(commitment, datetime.date(2022, 6, 1), "in_progress", "les travaux ont commencé")
    admin_client.cookies["django_language"] = "fr"
    html = admin_client.get(commitment.get_absolute_url()).content.decode()
    assert "Chronologie" in html and "Promesse" in html and "1 juin 2022" in html
    early = CommitmentReport(
        commitment=commitment, reported_on=datetime.date(2021, 1, 1), status="met", summary="x"
    )
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        early.full_clean()
    assert refused.value.message_dict["reported_on"] == [
        "Un point d’étape ne peut pas décrire une date antérieure à la signature de son accord "
        "(28 décembre 2021)."
    ]


# The reading desk -----------------------------------------------------------------------------


def test_desk_records_a_progress_report_from_a_selection_and_the_commitment_follows(
    client, article_data
):
    from django.contrib.auth.models import Permission, User

    from tracker.models import Source

    source = Source.objects.get(slug="maroc-booster-fabrication-locale-dispositifs-medicaux")
    commitment = Commitment.objects.get(slug="health-ministry-expertise-for-local-manufacturers")
    promise = commitment.citations.first()
    user = User.objects.create_user("editor", password="x")
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["add_citation", "add_commitmentreport"])
    )
    roles.assign(user, roles.READERS)
    client.force_login(user)
    words = promise.quote[:60]
    start = source.text.index(words)
    url = reverse("tracker:desk-new", kwargs={"slug": source.slug, "kind": "report"})
    form = client.get(url, {"start": start, "end": start + len(words)})
    assert form.status_code == HTTPStatus.OK
    assert form.context["form"].initial["summary"] == words
    response = client.post(
        url,
        {
            "start": start,
            "end": start + len(words),
            "commitment": commitment.slug,
            "reported_on": "2022-03-01",
            "reported_on_precision": "month",
            "status": "in_progress",
            "summary": "Expertise under way",
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.context["form"].errors
    added = commitment.reports.get()
    citation = added.citations.get()
    assert (citation.source, citation.start) == (source, start)
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.IN_PROGRESS

    html = client.get(commitment.get_absolute_url()).content.decode()
    timeline = html[html.index('id="timeline-heading"') :]
    assert timeline.count('class="timeline-step"') == 2
    assert f'href="{promise.get_absolute_url()}"' in timeline
    assert f'href="{citation.get_absolute_url()}"' in timeline
    assert "March 2022" in timeline


def test_desk_refuses_a_report_dated_before_the_signing_and_keeps_nothing(client, article_data):
    from django.contrib.auth.models import User

    from tracker.models import Source

    source = Source.objects.get(slug="maroc-booster-fabrication-locale-dispositifs-medicaux")
    commitment = Commitment.objects.get(slug="health-ministry-expertise-for-local-manufacturers")
    client.force_login(User.objects.create_superuser("boss", password="x"))
    words = commitment.citations.first().quote[:40]
    start = source.text.index(words)
    response = client.post(
        reverse("tracker:desk-new", kwargs={"slug": source.slug, "kind": "report"}),
        {
            "start": start,
            "end": start + len(words),
            "commitment": commitment.slug,
            "reported_on": "2021-01-01",
            "reported_on_precision": "day",
            "status": "met",
            "summary": "Too early",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert "before its agreement was signed" in response.content.decode()
    assert not CommitmentReport.objects.exists()
