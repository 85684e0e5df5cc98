"""The OpenAPI schema is valid, and the API keeps every promise it makes.

Schemathesis generates requests from the schema for every operation, sends them to the
application in-process, and checks each answer: no server error, a documented status code,
and a body that matches the documented shape. It runs against the article data, so the
nested parties, commitments and citations are really there to be checked.
"""

import io

import hypothesis
import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application
from tracker import roles
from tracker.api.schema_view import SchemaView

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


def test_schema_is_valid_openapi_without_a_single_warning(tmp_path):
    output = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(output), stderr=io.StringIO()
    )
    text = output.read_text()
    assert "openapi: 3" in text
    for path in ("organisations", "people", "agreements", "commitments", "sources"):
        assert f"/api/v1/{path}/:" in text


def test_schema_documents_every_error_a_client_can_meet():
    operations = schema.raw_schema["paths"]
    for path, methods in operations.items():
        responses = methods["get"]["responses"]
        assert {"200", "400", "401", "404", "429"} <= set(responses), path


def test_docs_are_served_from_the_application_not_a_cdn(client):
    for url, asset in (
        ("/api/v1/docs/", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
        ("/api/v1/redoc/", "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
    ):
        page = client.get(url).content.decode()
        assert f"/static/{asset}" in page
        assert "cdn" not in page.lower()
        assert "https://" not in page


def test_the_authorize_dialog_says_a_token_is_sent_as_token_and_the_key():
    schemes = schema.raw_schema["components"]["securitySchemes"]
    (token,) = [scheme for scheme in schemes.values() if scheme.get("name") == "Authorization"]
    assert token["in"] == "header"
    assert "`Authorization: Token <key>`" in token["description"]


@pytest.mark.parametrize(
    "first_accept", ["application/vnd.oai.openapi+json", "application/vnd.oai.openapi", "*/*"]
)
def test_the_schema_downloads_under_a_name_that_says_its_format(client, first_accept):
    SchemaView.built.clear()
    client.get("/api/v1/schema/", HTTP_ACCEPT=first_accept)
    for accept, suffix, start in (
        ("application/vnd.oai.openapi", ".yaml", b"openapi: 3"),
        ("application/vnd.oai.openapi+json", ".json", b'{"openapi":"3'),
        ("application/json", ".json", b'{"openapi":"3'),
        (None, ".yaml", b"openapi: 3"),
    ):
        response = client.get("/api/v1/schema/", **({"HTTP_ACCEPT": accept} if accept else {}))
        assert b"".join(response.content.split()).startswith(b"".join(start.split())), accept
        assert response["Content-Disposition"].endswith(f'{suffix}"'), (accept, response.headers)


@pytest.fixture
def keep_the_test_connection():
    """Requests go through the WSGI application itself, whose end-of-request handler closes a
    connection caught inside a transaction, as the test's is; Django's test client unhooks
    that handler the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_token(article_data, django_user_model, settings, keep_the_test_connection):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost", "testserver"]
    # The fuzzer sends more requests in a minute than a partner is allowed to.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }
    user = django_user_model.objects.create_user("fuzzer")
    roles.assign(user, roles.PARTNERS)
    return Token.objects.create(user=user).key


@schema.parametrize()
@hypothesis.settings(
    max_examples=30,
    # The same requests on every run, so CI is repeatable; raise max_examples to explore.
    derandomize=True,
    deadline=None,
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
    ],
)
@pytest.mark.django_db
def test_every_operation_answers_as_documented(case, api_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {api_token}"},
        # A slug parameter is any string to the schema, but only the slug of an existing
        # record is accepted (others answer the documented 400): the fuzzer's "valid" slugs
        # are not. Every other check runs, the 400's body included.
        excluded_checks=[positive_data_acceptance],
    )


def refuses_empty(parameter_schema):
    """Whether a schema refuses an empty string for a query parameter."""
    if parameter_schema.get("type") == "array":
        parameter_schema = parameter_schema["items"]
    if parameter_schema.get("type") != "string":
        return True  # "" is no integer or boolean
    if "enum" in parameter_schema:
        return "" not in parameter_schema["enum"]
    return parameter_schema.get("minLength", 0) >= 1


@pytest.mark.django_db
def test_schema_says_which_parameters_refuse_an_empty_value(api_token):
    from rest_framework.test import APIClient

    api = APIClient(HTTP_AUTHORIZATION=f"Token {api_token}")
    for path, methods in schema.raw_schema["paths"].items():
        for parameter in methods["get"].get("parameters", []):
            if parameter["in"] != "query":
                continue
            name = parameter["name"]
            response = api.get(path, {name: ""})
            documented = refuses_empty(parameter["schema"])
            refused = response.status_code == 400
            assert refused == documented, (path, name, response.status_code, parameter)


def record_answers():
    """(operation, path parameters, serializer) for every list and detail of the API.

    The serializer is the one whose `represent` builds the records of that answer.
    """
    from tracker import models
    from tracker.api import serializers

    first = {
        model: model.objects.order_by("pk").first()
        for model in (
            models.Organisation,
            models.Person,
            models.Agreement,
            models.Commitment,
            models.Source,
        )
    }
    for resource, model, lookup, serializer, detail_serializer in (
        ("organisations", models.Organisation, "slug", serializers.OrganisationSerializer, None),
        ("people", models.Person, "slug", serializers.PersonSerializer, None),
        ("agreements", models.Agreement, "slug", serializers.AgreementSerializer, None),
        ("commitments", models.Commitment, "id", serializers.CommitmentSerializer, None),
        (
            "sources",
            models.Source,
            "slug",
            serializers.SourceSerializer,
            serializers.SourceDetailSerializer,
        ),
    ):
        yield schema[f"/api/v1/{resource}/"]["GET"], {}, serializer
        value = first[model].pk if lookup == "id" else first[model].slug
        yield (
            schema[f"/api/v1/{resource}/{{{lookup}}}/"]["GET"],
            {lookup: value},
            detail_serializer or serializer,
        )


def answer_is_valid(operation, path_parameters, token):
    response = operation.Case(path_parameters=path_parameters).call(
        headers={"Authorization": f"Token {token}"}
    )
    assert response.status_code == 200, response.text
    return operation.is_valid_response(response)


@pytest.mark.django_db
def test_every_record_answer_matches_its_schema_exactly(api_token):
    for operation, path_parameters, _ in record_answers():
        assert answer_is_valid(operation, path_parameters, api_token), operation.label


@pytest.mark.django_db
def test_a_key_the_schema_does_not_declare_fails_validation(api_token, monkeypatch):
    """A key added to a representation and not to the schema must not pass unseen."""
    for operation, path_parameters, serializer in record_answers():
        represent = serializer.represent

        def with_an_undeclared_key(record, links, represent=represent):
            return {**represent(record, links), "undeclared": "surprise"}

        with monkeypatch.context() as patch:
            patch.setattr(serializer, "represent", staticmethod(with_an_undeclared_key))
            assert not answer_is_valid(operation, path_parameters, api_token), operation.label


@pytest.mark.django_db
def test_a_declared_key_missing_from_an_answer_fails_validation(api_token, monkeypatch):
    for operation, path_parameters, serializer in record_answers():
        represent = serializer.represent

        def without_its_last_key(record, links, represent=represent):
            representation = represent(record, links)
            representation.popitem()
            return representation

        with monkeypatch.context() as patch:
            patch.setattr(serializer, "represent", staticmethod(without_its_last_key))
            assert not answer_is_valid(operation, path_parameters, api_token), operation.label


@pytest.mark.django_db
def test_a_field_added_to_a_shape_reaches_schema_representation_and_loader(
    django_assert_num_queries,
):
    """A new API field is one line of a record's shape: nothing else is written for it."""
    from rest_framework import serializers as drf

    from tracker.api.serializers import PERSON, POSITION
    from tracker.api.shapes import Column, Many, Rows, WebLinks
    from tracker.devtools import factories
    from tracker.models import Position

    position = factories.PositionFactory(title="Director", ended_on=None)
    wider = PERSON.extend(
        "PersonWithOrganisationDescription",
        Column("updated_description", drf.CharField(), source="description"),
        Many(
            "positions_again",
            POSITION.extend(
                "PositionWithId", Column("position_id", drf.IntegerField(), source="id")
            ),
            Rows(Position, "person"),
            help_text="The positions once more.",
        ),
    )

    fields = wider.record_serializer()().fields
    assert isinstance(fields["updated_description"], drf.CharField)
    assert set(fields["positions_again"].child.fields) == {
        *POSITION.serializer()().fields,
        "position_id",
    }

    people = list(wider.queryset())
    with django_assert_num_queries(3):  # positions, citations, the positions once more
        wider.load(people)
        (answer,) = [
            wider.record_serializer().represent(person, WebLinks(None)) for person in people
        ]
    assert answer["updated_description"] == position.person.description
    assert answer["positions_again"] == [{**answer["positions"][0], "position_id": position.pk}]
    assert list(answer) == [
        *PERSON.record_serializer()().fields,
        "updated_description",
        "positions_again",
    ]
