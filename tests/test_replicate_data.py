"""`manage.py replicate_data`: the data N times over, each copy a consistent world of its own."""

import io
from http import HTTPStatus

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.test_generate_data import generate
from tracker import models, roles
from tracker.devtools import factories
from tracker.devtools.synthetic import tracker_row_counts
from tracker.text import quote_occurs_in

pytestmark = pytest.mark.django_db


def replicate(times):
    out = io.StringIO()
    call_command("replicate_data", times=times, stdout=out)
    return out.getvalue()


def test_three_times_the_data_each_copy_pointing_to_its_own_records():
    generate()
    before = tracker_row_counts()
    mentions = models.Mention.objects.count()
    history = models.Agreement.history.count()
    assert "Replicated 3 times" in replicate(3)

    assert tracker_row_counts() == {name: 3 * count for name, count in before.items()}
    assert models.Mention.objects.count() == 3 * mentions
    assert models.Agreement.history.count() == 3 * history
    slugs = list(models.Organisation.objects.values_list("slug", flat=True))
    assert len(set(slugs)) == len(slugs)

    # A copied agreement's parties, commitments and their reports are the same copy's.
    for party in models.AgreementParty.objects.filter(agreement__slug__endswith="-x3"):
        assert party.organisation.slug.endswith("-x3")
    for commitment in models.Commitment.objects.filter(agreement__slug__endswith="-x2"):
        assert commitment.slug.endswith("-x2")
        assert commitment.party.slug.endswith("-x2")
        assert all(report.commitment_id == commitment.pk for report in commitment.reports.all())
    # Every copied quote is still in its own source's text, and every mention on it.
    for citation in models.Citation.objects.filter(source__slug__endswith="-x2"):
        assert quote_occurs_in(citation.quote, citation.source.text)
    for mention in models.Mention.objects.filter(source__slug__endswith="-x3")[:200]:
        assert mention.source.text[mention.start : mention.end] == mention.text
        assert (mention.organisation or mention.person).slug.endswith("-x3")
    # A history row records its own copy's record.
    copied = models.Agreement.objects.filter(slug__endswith="-x2").first()
    assert copied.history.get().slug == copied.slug

    # What is added afterwards gets an id of its own.
    top = models.Agreement.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert factories.AgreementFactory().pk > top


def test_the_api_lists_the_copies():
    generate(organisations=5, people=4, agreements=6, commitments=10, citations=20, sources=3)
    replicate(2)
    user = User.objects.create_user("partner")
    roles.assign(user, roles.PARTNERS)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = api.get("/api/v1/agreements/", {"page_size": 200})
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["count"] == 12
    assert sum(record["slug"].endswith("-x2") for record in body["results"]) == 6


@pytest.mark.parametrize("times", [1, 0, -3])
def test_replicate_refuses_fewer_than_two_times(times):
    generate()
    with pytest.raises(CommandError, match=f"--times must be 2 or more, not {times}"):
        replicate(times)


def test_replicate_refuses_an_empty_database():
    with pytest.raises(CommandError, match="no tracker data to replicate"):
        replicate(2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own catalogue")
def test_the_copy_leaves_every_index_and_foreign_key_as_it_found_them():
    """On PostgreSQL the copy drops the indexes and foreign keys while it writes and makes
    them again after: the same ones, and checked."""

    def definitions():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'tracker%%' UNION ALL "
                "SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid::regclass::text LIKE 'tracker%%'"
            )
            # A partial index's condition reads back in another spelling once made again.
            return sorted(
                line.split(" WHERE ")[0] + (" WHERE …" if " WHERE " in line else "")
                for (line,) in cursor.fetchall()
            )

    generate(organisations=5, people=4, agreements=6, commitments=10, citations=20, sources=3)
    before = definitions()
    assert any("gin_trgm_ops" in line for line in before)
    assert any("FOREIGN KEY" in line for line in before)
    replicate(2)
    assert definitions() == before
    party = models.AgreementParty.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        models.AgreementParty.objects.filter(pk=party.pk).update(organisation_id=10**9)
        connection.check_constraints()
