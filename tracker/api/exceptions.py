from django.http import JsonResponse
from rest_framework.views import exception_handler


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


def not_found(request, *args, **kwargs):
    """Any other address under the API answers in JSON, as the API's own 404s do."""
    return JsonResponse({"detail": f"There is no API endpoint at {request.path}."}, status=404)
