"""The dashboard's "needs attention" panel, and the commitments CSV's progress-report columns."""

import csv
import datetime
import io
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from tracker.choices import CommitmentStatus
from tracker.devtools.factories import (
    AgreementFactory,
    CommitmentFactory,
    CommitmentReportFactory,
)

pytestmark = pytest.mark.django_db


def days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def commitments():
    """One commitment of each kind the panel tells apart."""
    old = AgreementFactory(signed_on=days_ago(3 * 365))
    last_month = AgreementFactory(signed_on=days_ago(30))
    made = {
        "overdue": CommitmentFactory(
            agreement=old, due_on=days_ago(10), status=CommitmentStatus.IN_PROGRESS
        ),
        "quiet": CommitmentFactory(agreement=old, status=CommitmentStatus.ANNOUNCED),
        "quiet_but_met": CommitmentFactory(agreement=old, status=CommitmentStatus.MET),
        "just_promised": CommitmentFactory(agreement=last_month),
        "reported_last_year": CommitmentFactory(agreement=old),
        "changed_lately": CommitmentFactory(agreement=old),
        "repeated_lately": CommitmentFactory(agreement=old, status=CommitmentStatus.IN_PROGRESS),
        "changed_long_ago": CommitmentFactory(agreement=old),
    }
    CommitmentReportFactory(
        commitment=made["reported_last_year"],
        reported_on=days_ago(200),
        status=CommitmentStatus.IN_PROGRESS,
    )
    CommitmentReportFactory(
        commitment=made["changed_lately"], reported_on=days_ago(20), status=CommitmentStatus.MET
    )
    CommitmentReportFactory(
        commitment=made["repeated_lately"],
        reported_on=days_ago(20),
        status=CommitmentStatus.IN_PROGRESS,
    )
    CommitmentReportFactory(
        commitment=made["changed_long_ago"],
        reported_on=days_ago(500),
        status=CommitmentStatus.IN_PROGRESS,
    )
    return made


def groups_of(response):
    return {group.key: group for group in response.context["attention"]}


def test_attention_panel_counts_overdue_quiet_and_recently_changed_commitments(
    admin_client, commitments
):
    groups = groups_of(admin_client.get("/"))
    names = {commitment.pk: name for name, commitment in commitments.items()}

    def named(rows):
        return {names[row.pk] for row in rows}

    assert named(groups["overdue"].rows) == {"overdue"}
    # An open commitment promised before the cut-off with no report since; a met one, one
    # promised last month or reported on within the year is not "no news".
    assert named(groups["no_news"].rows) == {"overdue", "quiet", "changed_long_ago"}
    assert named(groups["status_changed"].rows) == {"changed_lately"}
    assert [group.count for group in groups.values()] == [1, 3, 1]


def test_each_attention_link_lists_exactly_the_rows_the_panel_counts(admin_client, commitments):
    response = admin_client.get("/")
    html = response.content.decode()
    for group in response.context["attention"]:
        url = group.list_url
        assert url.replace("&", "&amp;") in html
        listed = admin_client.get(url)
        assert listed.status_code == HTTPStatus.OK, url
        assert listed.context["filter_valid"], (url, listed.context["filterset"].errors)
        assert {row.pk for row in listed.context["object_list"]} == {
            row.pk for row in group.rows
        }, url
        assert listed.context["result_count"] == group.count
        # The API's commitments list takes the same parameters and gives the same rows.
        api = admin_client.get("/api/v1/commitments/" + "?" + urlsplit(url).query)
        assert api.status_code == HTTPStatus.OK, api.content
        assert api.json()["count"] == group.count
        # And so does its CSV.
        exported = csv_table(admin_client.get(url + "&format=csv"))
        assert {int(row["id"]) for row in exported} == {row.pk for row in group.rows}, url


def test_each_attention_group_lists_its_first_few_and_links_to_the_rest(admin_client):
    old = AgreementFactory(signed_on=days_ago(3 * 365))
    for _ in range(8):
        CommitmentFactory(agreement=old, due_on=days_ago(5))
    response = admin_client.get("/")
    overdue = groups_of(response)["overdue"]
    assert overdue.count == 8 and len(overdue.rows) == 5
    html = response.content.decode()
    panel = html[html.index('id="attention-heading"') :]
    for row in overdue.rows:
        assert f'href="{row.get_absolute_url()}"' in panel
    assert "All 8" in panel


def test_attention_panel_says_what_no_news_and_recently_mean_from_the_settings(
    admin_client, settings, commitments
):
    settings.TRACKER_NO_NEWS_MONTHS = 6
    settings.TRACKER_RECENT_CHANGE_DAYS = 30
    response = admin_client.get("/")
    groups = groups_of(response)
    # Reported 200 days ago: news within a year, but none in six months.
    assert commitments["reported_last_year"] in groups["no_news"].rows
    html = response.content.decode()
    assert "No news for over 6 months" in html
    assert "in the last 30 days" in html
    settings.TRACKER_RECENT_CHANGE_DAYS = 10
    assert groups_of(admin_client.get("/"))["status_changed"].rows == []


def test_attention_panel_in_french(admin_client, commitments):
    html = admin_client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "À surveiller" in html
    assert "Sans nouvelles depuis plus de 12 mois" in html
    assert "Statut changé récemment" in html
    assert "au cours des 90 derniers jours" in html


def build_attention_rows(count):
    old = AgreementFactory(signed_on=days_ago(3 * 365))
    for _ in range(count):
        CommitmentFactory(agreement=old, due_on=days_ago(5))
        CommitmentFactory(agreement=old)
        changed = CommitmentFactory(agreement=old)
        CommitmentReportFactory(
            commitment=changed, reported_on=days_ago(3), status=CommitmentStatus.MET
        )


def test_attention_panel_queries_do_not_grow_with_the_rows(admin_client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build_attention_rows(1)
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/")
    build_attention_rows(30)
    with django_assert_num_queries(len(few)):
        response = admin_client.get("/")
    assert [group.count for group in response.context["attention"]] == [31, 62, 31]


# The commitments CSV ---------------------------------------------------------------------------


def csv_table(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_commitments_csv_gives_each_ones_latest_report_its_status_and_report_count(admin_client):
    agreement = AgreementFactory(signed_on=datetime.date(2021, 12, 28))
    reported = CommitmentFactory(agreement=agreement, slug="reported")
    CommitmentFactory(agreement=agreement, slug="silent")
    CommitmentReportFactory(
        commitment=reported, reported_on=datetime.date(2022, 3, 1), status="in_progress"
    )
    CommitmentReportFactory(
        commitment=reported, reported_on=datetime.date(2023, 6, 30), status="partly_met"
    )
    rows = csv_table(admin_client.get("/commitments/", {"format": "csv", "ordering": "id"}))
    assert [
        (row["latest report on"], row["latest report status"], row["reports"]) for row in rows
    ] == [("2023-06-30", "Partly met", "2"), ("", "", "0")]


def test_commitments_csv_queries_do_not_grow_with_reports(admin_client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agreement = AgreementFactory(signed_on=datetime.date(2021, 12, 28))
    CommitmentReportFactory(commitment=CommitmentFactory(agreement=agreement))

    def export():
        response = admin_client.get("/commitments/", {"format": "csv"})
        return csv_table(response)

    with CaptureQueriesContext(connection) as few:
        export()
    for index in range(20):
        commitment = CommitmentFactory(agreement=agreement)
        for month in range(1, 4):
            CommitmentReportFactory(
                commitment=commitment, reported_on=datetime.date(2022 + index % 3, month, 1)
            )
    with django_assert_num_queries(len(few)):
        assert len(export()) == 21
