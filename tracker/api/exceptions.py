"""The API's one error envelope: `{"detail": "...", "errors": {parameter: [messages]}?}`.

DRF's views answer through `api_exception_handler`. What happens around them (no view for the
address, too many parameters, a failed CSRF check, an unexpected exception) is answered by
Django's error handlers, which config/urls.py and `CSRF_FAILURE_VIEW` point here: in the same
envelope under the API's addresses, as Django's own pages elsewhere.
"""

from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework.views import exception_handler

API_PREFIX = "/api/"


def api_exception_handler(exc, context):
    """Every error is `{"detail": "...", "errors": {parameter: [messages]}?}`.

    DRF answers a validation error with the bare `{field: [messages]}`; a client then has to
    guess the shape. Here `detail` always says what was wrong and names the parameters.
    """
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" not in data:
        names = ", ".join(str(name) for name in data)
        response.data = {"detail": f"Invalid parameter: {names}.", "errors": data}
    elif isinstance(data, list):
        response.data = {"detail": " ".join(str(message) for message in data)}
    return response


def under_the_api(request):
    return request.path_info.startswith(API_PREFIX)


def error(detail, status):
    return JsonResponse({"detail": detail}, status=status)


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any other address under the API answers in JSON, as the API's own 404s do, whatever
    the method (nothing here writes, so there is no CSRF token to ask for)."""
    return error(f"There is no API endpoint at {request.path}.", HTTPStatus.NOT_FOUND)


def bad_request(request, exception, *args, **kwargs):
    if not under_the_api(request):
        return defaults.bad_request(request, exception, *args, **kwargs)
    if isinstance(exception, TooManyFieldsSent):
        detail = f"Too many parameters: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} are read."
    elif isinstance(exception, TooManyFilesSent):
        detail = "Too many files sent."
    elif isinstance(exception, RequestDataTooBig):
        detail = "The request body is too large."
    else:
        detail = "Bad request."
    return error(detail, HTTPStatus.BAD_REQUEST)


def permission_denied(request, exception, *args, **kwargs):
    if not under_the_api(request):
        return defaults.permission_denied(request, exception, *args, **kwargs)
    return error("You do not have permission to perform this action.", HTTPStatus.FORBIDDEN)


def page_not_found(request, exception, *args, **kwargs):
    if not under_the_api(request):
        return defaults.page_not_found(request, exception, *args, **kwargs)
    return not_found(request)


def server_error(request, *args, **kwargs):
    if not under_the_api(request):
        return defaults.server_error(request, *args, **kwargs)
    return error(
        "Server error: the request could not be answered.", HTTPStatus.INTERNAL_SERVER_ERROR
    )


def csrf_failure(request, reason="", **kwargs):
    if not under_the_api(request):
        return csrf.csrf_failure(request, reason, **kwargs)
    return error(f"CSRF check failed: {reason}", HTTPStatus.FORBIDDEN)
