from django import template

from .. import proposals

register = template.Library()


@register.simple_tag(takes_context=True)
def source_proposals(context, source):
    """The "possibly new" panel of a source page, for users allowed to cite; None otherwise."""
    request = context.get("request")
    if request is None:
        return None
    return proposals.panel(source, request.user)
