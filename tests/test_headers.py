"""Security and caching headers, as a browser or a proxy receives them over HTTP."""

import base64
import hashlib
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tracker import roles
from tracker.devtools import factories

PAGES = [
    "/",
    "/agreements/",
    "/organisations/",
    "/map/",
    "/admin/",
    "/admin/tracker/agreement/",
    "/api/v1/docs/",
    "/api/v1/redoc/",
]


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    cache.clear()


@pytest.fixture
def records(db):
    commitment = factories.CommitmentFactory()
    factories.CitationFactory(organisation=commitment.party)
    return commitment


@pytest.fixture
def record_pages(records):
    agreement, organisation = records.agreement, records.party
    return [
        *PAGES,
        agreement.get_absolute_url(),
        reverse("admin:tracker_agreement_change", args=[agreement.pk]),
        reverse("admin:tracker_agreement_history", args=[agreement.pk]),
        reverse("admin:tracker_organisation_change", args=[organisation.pk]),
        reverse("admin:tracker_commitment_add"),
    ]


@pytest.fixture
def token_client(django_user_model):
    partner = django_user_model.objects.create_user("partner")
    roles.assign(partner, roles.PARTNERS)
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=partner).key}")


def policy(response):
    header = response.headers.get("Content-Security-Policy", "")
    return {
        name: values
        for name, *values in (directive.split() for directive in header.split(";") if directive)
    }


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would refuse to run or apply."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and "nonce" not in attributes:
            if attributes.get("type", "text/javascript") in {"text/javascript", "module"}:
                self.found.append(f"<script> without src: {self.get_starttag_text()}")
        if tag == "style" and "nonce" not in attributes:
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.found.append(f'style="{value}" on <{tag}>')
            if name.startswith("on"):
                self.found.append(f'{name}="{value}" on <{tag}>')


def allowed_by_hash(response, attribute):
    """Whether the policy allows this style attribute by its hash, as a browser checks it."""
    if not attribute.startswith('style="'):
        return False
    value = attribute.removeprefix('style="').split('" on <')[0]
    digest = base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
    allowed = policy(response).get("style-src-attr", [])
    return "'unsafe-hashes'" in allowed and f"'sha256-{digest}'" in allowed


def inline_code(response):
    parser = InlineCode()
    parser.feed(response.content.decode())
    return [found for found in parser.found if not allowed_by_hash(response, found)]


@pytest.mark.django_db
def test_every_page_has_a_content_security_policy_without_unsafe_inline(admin_client, record_pages):
    for url in record_pages:
        response = admin_client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        directives = policy(response)
        assert directives.get("default-src") == ["'self'"], (url, directives)
        assert directives.get("object-src") == ["'none'"], url
        assert directives.get("frame-ancestors") == ["'none'"], url
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], url
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], url


@pytest.mark.django_db
def test_pages_carry_no_inline_script_or_style_the_policy_would_block(admin_client, record_pages):
    for url in record_pages:
        response = admin_client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        assert inline_code(response) == [], url


@pytest.mark.django_db
def test_dashboard_share_bars_keep_their_width_without_inline_style(admin_client):
    factories.CommitmentFactory(status="met")
    factories.CommitmentFactory.create_batch(3, status="announced")
    content = admin_client.get("/").content.decode()
    assert 'class="share-bar' in content
    assert 'width="25"' in content and 'width="75"' in content


@pytest.mark.django_db
def test_redoc_styles_run_under_the_pages_nonce(admin_client):
    response = admin_client.get("/api/v1/redoc/")
    (nonce,) = [
        value.removeprefix("'nonce-").removesuffix("'")
        for value in policy(response)["style-src"]
        if value.startswith("'nonce-")
    ]
    assert f'nonce="{nonce}"' in response.content.decode()


@pytest.mark.django_db
def test_every_answer_has_a_permissions_policy(admin_client, client, token_client):
    for response in [
        admin_client.get("/"),
        client.get("/"),
        client.get(reverse("admin:login")),
        token_client.get("/api/v1/agreements/"),
        client.get("/api/v1/agreements/"),
    ]:
        features = dict(
            feature.strip().split("=") for feature in response["Permissions-Policy"].split(",")
        )
        assert features["camera"] == features["microphone"] == features["geolocation"] == "()"


def cache_control(response):
    return {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",")}


@pytest.mark.django_db
def test_answers_needing_a_login_are_kept_from_shared_caches(admin_client, token_client, records):
    answers = {
        "page": admin_client.get("/agreements/"),
        "record page": admin_client.get(records.agreement.get_absolute_url()),
        "CSV": admin_client.get("/agreements/", {"format": "csv"}),
        "API list": token_client.get("/api/v1/agreements/"),
        "API record": token_client.get(f"/api/v1/agreements/{records.agreement.slug}/"),
        "API list from the page cache": token_client.get("/api/v1/agreements/"),
        "API with a session": admin_client.get("/api/v1/organisations/"),
    }
    for name, response in answers.items():
        assert response.status_code == HTTPStatus.OK, name
        assert {"private", "no-store"} <= cache_control(response), (name, response.headers)


@pytest.mark.django_db
def test_public_pages_read_anonymously_stay_cacheable(client, settings):
    settings.TRACKER_PUBLIC_READ = True
    response = client.get("/api/v1/agreements/")
    assert response.status_code == HTTPStatus.OK
    assert "private" not in cache_control(response)


@pytest.mark.django_db
def test_static_files_keep_their_public_cache(admin_user, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    browser = Client()  # a client made after the settings, so WhiteNoise reads them
    browser.force_login(admin_user)
    response = browser.get("/static/tracker/tracker.css")
    assert response.status_code == HTTPStatus.OK
    assert "public" in cache_control(response)
    assert not {"private", "no-store"} & cache_control(response)


@pytest.mark.django_db
def test_api_answers_vary_on_credentials_and_language(client, token_client):
    for response in [
        token_client.get("/api/v1/agreements/"),
        token_client.get("/api/v1/agreements/"),  # the same page, from the page cache
        token_client.get("/api/v1/agreements/", {"kind": "spaceship"}),
        client.get("/api/v1/agreements/"),
    ]:
        vary = {value.strip().lower() for value in response["Vary"].split(",")}
        assert {"authorization", "cookie", "accept-language"} <= vary, response.headers
