"""The staff UI's template tags: partial dates, admin links for those allowed to edit,
sortable headings and the overdue test."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..choices import DatePrecision
from ..dates import format_partial_date

register = template.Library()


@register.simple_tag
def partial_date(record, field):
    """A record's date in the active language, at the precision the source gives."""
    value = getattr(record, field)
    precision = getattr(record, f"{field}_precision", DatePrecision.DAY)
    return format_partial_date(value, precision)


@register.simple_tag(takes_context=True)
def admin_change_url(context, record):
    """The admin page of a record, for users allowed to change it; empty otherwise."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return ""
    meta = record._meta
    if not request.user.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
        return ""
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def sort_link(context, field, label):
    """A column heading that sorts by `field`, and flips the order when it already does."""
    request = context["request"]
    current = request.GET.get("ordering", "")
    query = request.GET.copy()
    query.pop("page", None)
    if current == field:
        query["ordering"] = f"-{field}"
        state, arrow = _("sorted ascending"), "▲"
    elif current == f"-{field}":
        query["ordering"] = field
        state, arrow = _("sorted descending"), "▼"
    else:
        query["ordering"] = field
        state, arrow = "", ""
    hidden = format_html(' <span class="visually-hidden">({})</span>', state) if state else ""
    return format_html(
        '<a href="?{}">{}</a>{}{}',
        query.urlencode(),
        label,
        format_html(' <span aria-hidden="true">{}</span>', arrow) if arrow else "",
        hidden,
    )


@register.simple_tag(takes_context=True)
def aria_sort(context, field):
    current = context["request"].GET.get("ordering", "")
    if current == field:
        return "ascending"
    if current == f"-{field}":
        return "descending"
    return "none"


@register.filter
def is_overdue(commitment, today):
    """The overdue badge's rule is the model's, the one the `overdue` filter applies."""
    return commitment.is_overdue(today)
