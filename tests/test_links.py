"""Record pages' addresses: built from each route's address found once, they must stay the
addresses `reverse()` gives, under a sub-path too."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from tracker.devtools import factories
from tracker.links import record_path


@pytest.fixture
def records(db):
    commitment = factories.CommitmentFactory()
    return {
        "organisation": (commitment.party, "tracker:organisation-detail", "slug"),
        "person": (factories.PersonFactory(), "tracker:person-detail", "slug"),
        "agreement": (commitment.agreement, "tracker:agreement-detail", "slug"),
        "commitment": (commitment, "tracker:commitment-detail", "pk"),
        "source": (factories.SourceFactory(), "tracker:source-detail", "slug"),
    }


@pytest.mark.parametrize("prefix", ["/", "/tracker/"])
def test_each_record_page_address_is_the_one_its_route_gives(records, prefix):
    set_script_prefix(prefix)
    try:
        for record, route, argument in records.values():
            expected = reverse(route, kwargs={argument: getattr(record, argument)})
            assert expected.startswith(prefix)
            assert record.get_absolute_url() == expected
    finally:
        set_script_prefix("/")


def test_pages_served_under_a_sub_path_link_to_their_records_under_it(admin_client, records):
    organisation, agreement = records["organisation"][0], records["agreement"][0]
    set_script_prefix("/tracker/")  # as the WSGI handler does for SCRIPT_NAME=/tracker
    try:
        response = admin_client.get(f"/organisations/{organisation.slug}/")
    finally:
        set_script_prefix("/")
    body = response.content.decode()
    assert f'href="/tracker/agreements/{agreement.slug}/"' in body
    assert f'href="/agreements/{agreement.slug}/"' not in body


def test_a_value_the_route_would_refuse_is_refused_as_reverse_refuses_it(db):
    with pytest.raises(NoReverseMatch):
        record_path("tracker:organisation-detail", "slug", "two words")
    with pytest.raises(NoReverseMatch):
        record_path("tracker:commitment-detail", "pk", "x/y")
