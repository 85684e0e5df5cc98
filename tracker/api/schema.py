"""The OpenAPI schema's view of the API: the errors every operation can answer, how a token
is sent, and how the FilterSets' parameters are documented."""

import django_filters
from drf_spectacular.contrib.django_filters import DjangoFilterExtension, _NoHint
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from ..models import Organisation
from .backends import refuses_empty
from .shapes import StrictSerializer


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What was wrong, in words.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For bad parameters: each parameter's name and what was wrong with it.",
    )


ERRORS = {
    "400": "A parameter is unknown or has a bad value (an unknown slug, a name several "
    "records share, a malformed date, a period whose start is after its end, a choice that "
    "does not exist, a page size over 200); `errors` names it.",
    "401": "No credentials, or bad ones: send `Authorization: Token <key>` or sign in "
    "(unless the deployment opens public read).",
    "429": "Too many requests; the `Retry-After` header says when to try again.",
}
NOT_FOUND = {
    "list": "The page asked for is past the last page.",
    "retrieve": "No record has this identifier.",
}


class TrackerAutoSchema(AutoSchema):
    """Documents the errors every read operation can answer, so clients and fuzzers know them."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.method != "GET":
            return responses
        codes = dict(ERRORS)
        action = getattr(self.view, "action", None)
        if action in NOT_FOUND:
            codes["404"] = NOT_FOUND[action]
        for code, description in sorted(codes.items()):
            responses.setdefault(
                code,
                self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=description), code
                ),
            )
        return responses

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        # A record's schema lists every key it has: one key more or less in an answer is a
        # mismatch between the answer and its documentation, which the tests must catch.
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if isinstance(serializer, StrictSerializer) or (
            isinstance(serializer, type) and issubclass(serializer, StrictSerializer)
        ):
            schema["additionalProperties"] = False
        return schema


class TokenScheme(OpenApiAuthenticationExtension):
    """The token scheme as the docs' Authorize dialog shows it: what to type, and how the
    header reads, since the dialog sends exactly what is typed."""

    target_class = "rest_framework.authentication.TokenAuthentication"
    name = "tokenAuth"
    match_subclasses = True
    priority = 1

    def get_security_definition(self, auto_schema):
        keyword = self.target.keyword
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                f"A token is sent as `Authorization: {keyword} <key>`: in the Authorize "
                f"dialog, type the word `{keyword}`, a space, then the key (for example "
                f"`{keyword} 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b`). Staff issue keys in "
                "the admin or with `manage.py issue_token`."
            ),
        }


class FilterExtension(DjangoFilterExtension):
    """A filter with its own method takes slugs or words: document it as a string; one that
    refuses an empty value (all but free text) says so with `minLength: 1`.

    drf-spectacular looks for a type hint on a `value` argument of the method; the FilterSets
    name that argument after what it holds (`agreement`, `organisations`), which reads better.
    """

    target_class = "tracker.api.backends.FilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        if refuses_empty(filter_field):
            for parameter in parameters:
                schema = parameter["schema"]
                if schema.get("type") == "array":
                    schema = schema["items"]
                if schema.get("type") == "string":
                    schema["minLength"] = 1
        return parameters

    def _get_field_description(self, filter_field, description):
        description = super()._get_field_description(filter_field, description)
        if getattr(filter_field, "extra", {}).get("to_field_name") == "slug":
            model = filter_field.queryset.model
            names = (
                "its name, acronym or another name"
                if model is Organisation
                else f"its {model.name_field}"
            )
            description = (
                f"{description} ({model._meta.verbose_name} slug, or {names}, in any case and "
                "with or without accents"
            )
            if isinstance(filter_field, django_filters.ModelMultipleChoiceFilter):
                description += "; repeat the parameter for several"
            description += (
                "; a value naming no record answers 400, and one naming several answers 400 "
                "listing their slugs)."
            )
        return description

    def _get_filter_method_hint(self, filter_method):
        hint = super()._get_filter_method_hint(filter_method)
        if hint is _NoHint and filter_method is not None:
            return OpenApiTypes.STR
        return hint
