"""Every date the tracker stores lies in one supported range, and nothing fails on the ends."""

import datetime
from http import HTTPStatus

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tracker import dates, roles
from tracker.choices import CommitmentStatus
from tracker.devtools import factories

pytestmark = pytest.mark.django_db

TOO_LATE = datetime.date(9999, 12, 31)
TOO_EARLY = datetime.date(1, 1, 1)

# One record per model, with every date empty, so only the range can refuse a date.
MAKERS = {
    "source": lambda: factories.SourceFactory(published_on=None, page_dated_on=None),
    "organisation": lambda: factories.OrganisationFactory(founded_on=None),
    "organisationlink": lambda: factories.OrganisationLinkFactory(started_on=None, ended_on=None),
    "position": lambda: factories.PositionFactory(started_on=None, ended_on=None),
    "agreement": lambda: factories.AgreementFactory(signed_on=None),
    "commitment": lambda: factories.CommitmentFactory(
        due_on=None, met_on=None, status=CommitmentStatus.MET
    ),
    # A report's date is required; with no signing date, only the range can refuse it.
    "commitmentreport": lambda: factories.CommitmentReportFactory(
        commitment__agreement__signed_on=None
    ),
}


def tracked_date_fields():
    for model in apps.get_app_config("tracker").get_models():
        if model.__name__.startswith("Historical"):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
                yield model._meta.model_name, field.name


DATE_FIELDS = sorted(tracked_date_fields())


def test_every_date_field_of_every_model_is_covered_here():
    assert {model for model, _field in DATE_FIELDS} == set(MAKERS)
    assert len(DATE_FIELDS) == 15


@pytest.mark.parametrize(("model_name", "field"), DATE_FIELDS)
@pytest.mark.parametrize("value", [TOO_LATE, TOO_EARLY, datetime.date(1799, 12, 31)])
def test_a_date_outside_the_supported_range_fails_model_validation(model_name, field, value):
    record = MAKERS[model_name]()
    setattr(record, field, value)
    with pytest.raises(ValidationError) as refused:
        record.full_clean()
    messages = refused.value.message_dict.get(field, [])
    assert "Enter a date between 1 January 1800 and 31 December 2100." in messages


@pytest.mark.parametrize(("model_name", "field"), DATE_FIELDS)
def test_the_database_refuses_a_date_outside_the_supported_range(model_name, field):
    record = MAKERS[model_name]()
    rows = type(record).objects.filter(pk=record.pk)
    nullable = type(record)._meta.get_field(field).null
    for value in (dates.EARLIEST_DATE, dates.LATEST_DATE):  # the ends themselves are allowed
        rows.update(**{field: value})
        if nullable:
            rows.update(**{field: None})
    for value in (TOO_LATE, TOO_EARLY, dates.EARLIEST_DATE - datetime.timedelta(days=1)):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**{field: value})


def test_admin_refuses_an_agreement_signed_in_the_year_9999(admin_client):
    agreement = factories.AgreementFactory(signed_on=datetime.date(2021, 12, 28))
    response = admin_client.post(
        f"/admin/tracker/agreement/{agreement.pk}/change/",
        {
            "slug": agreement.slug,
            "title": agreement.title,
            "kind": agreement.kind,
            "status": agreement.status,
            "signed_on": "9999-12-31",
            "signed_on_precision": "day",
            "parties-TOTAL_FORMS": "0",
            "parties-INITIAL_FORMS": "0",
            "commitments-TOTAL_FORMS": "0",
            "commitments-INITIAL_FORMS": "0",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert "signed_on" in response.context["adminform"].form.errors
    agreement.refresh_from_db()
    assert agreement.signed_on == datetime.date(2021, 12, 28)


# Filters: a date outside the range is named as the error, never a 500 nor every row.


@pytest.mark.parametrize(
    ("url", "parameter", "value"),
    [
        ("/agreements/", "signed_after", "9999-12-31"),
        ("/agreements/", "signed_before", "0001-01-01"),
        ("/commitments/", "due_before", "9999-12-31"),
    ],
)
def test_ui_date_filter_outside_the_range_shows_the_forms_error(
    admin_client, url, parameter, value
):
    factories.AgreementFactory()
    response = admin_client.get(url, {parameter: value})
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Enter a date between 1 January 1800 and 31 December 2100." in html
    assert list(response.context["object_list"]) == []


@pytest.mark.parametrize(
    ("url", "parameter", "value"),
    [
        ("/api/v1/agreements/", "signed_after", "9999-12-31"),
        ("/api/v1/agreements/", "signed_before", "0001-01-01"),
        ("/api/v1/commitments/", "due_before", "9999-12-31"),
    ],
)
def test_api_date_filter_outside_the_range_answers_400_naming_it(url, parameter, value):
    partner = User.objects.create_user("partner")
    roles.assign(partner, roles.PARTNERS)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=partner).key}")
    response = client.get(url, {parameter: value})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert parameter in body["errors"] and parameter in body["detail"]
    assert "1 January 1800" in body["errors"][parameter][0]


# The admin's date hierarchy: a hand-made year outside the range is refused, not a 500.


@pytest.mark.parametrize(
    "query",
    [
        "signed_on__year=9999",
        "signed_on__year=9999&signed_on__month=12",
        "signed_on__year=9999&signed_on__month=12&signed_on__day=31",
        "signed_on__year=0",
        "signed_on__year=-5",
        "signed_on__year=99999999999999999999",
        "signed_on__year=2021&signed_on__month=13",
    ],
)
def test_admin_date_hierarchy_out_of_range_is_not_a_server_error(admin_client, query):
    factories.AgreementFactory(signed_on=datetime.date(2021, 12, 28))
    response = admin_client.get(f"/admin/tracker/agreement/?{query}", follow=True)
    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain and response.redirect_chain[-1][0].endswith("?e=1")


def test_admin_date_hierarchy_on_a_source_year_0_is_not_a_server_error(admin_client):
    factories.SourceFactory()
    response = admin_client.get("/admin/tracker/source/?published_on__year=0", follow=True)
    assert response.status_code == HTTPStatus.OK


def test_admin_date_hierarchy_still_narrows_to_the_last_supported_month(admin_client):
    late = factories.AgreementFactory(signed_on=dates.LATEST_DATE)
    factories.AgreementFactory(signed_on=datetime.date(2021, 12, 28))
    response = admin_client.get(
        "/admin/tracker/agreement/?signed_on__year=2100&signed_on__month=12"
    )
    assert response.status_code == HTTPStatus.OK
    assert list(response.context["cl"].result_list) == [late]


# Periods of the timeline: bounded in number whatever the dates, months first.


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (TOO_EARLY, TOO_LATE),
        (TOO_EARLY, TOO_EARLY),
        (TOO_LATE, TOO_LATE),
        (dates.EARLIEST_DATE, dates.LATEST_DATE),
        (datetime.date(2021, 12, 1), datetime.date(2021, 12, 1)),
    ],
)
def test_timeline_periods_are_bounded_and_cover_the_dates_at_any_span(first, last):
    spans = dates.periods(first, last, max_count=48)
    assert 1 <= len(spans) <= 48
    assert spans[0].start <= first and spans[-1].end >= last
    for earlier, later in zip(spans, spans[1:], strict=False):
        assert earlier.end + datetime.timedelta(days=1) == later.start
