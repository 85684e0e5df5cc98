"""What needs attention: the dashboard's groups of commitments to follow up.

Each group is a filter of the commitments list (`CommitmentFilterSet`), run here with the
parameters its link carries, so the panel counts exactly the rows the link lists, in the UI,
the API and the CSV alike. Overdue: past its due date and still open. No news: still open,
promised before the cut-off (or on an unknown date) and no progress report dated since.
Status changed: a progress report dated in the recent period gave a new status.
"""

import calendar
import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .choices import CommitmentStatus
from .data_version import cached_figures
from .dates import EARLIEST_DATE, format_partial_date
from .filtersets import CommitmentFilterSet
from .models import Commitment

SHOWN = 5


def months_before(day, months):
    """The same day `months` months earlier (the month's last day if it has fewer)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


@dataclass
class AttentionGroup:
    """One group of the panel: its rule in words, its count, its first rows and its list."""

    key: str
    title: str
    rule: str
    empty: str
    params: list
    count: int = 0
    rows: list = None

    @property
    def list_url(self):
        return f"{reverse('tracker:commitment-list')}?{urlencode(self.params)}"


def filtered_commitments(params):
    """The commitments the list shows for `params`, by the list's own FilterSet."""
    filterset = CommitmentFilterSet(QueryDict(urlencode(params)), queryset=Commitment.objects.all())
    if not filterset.is_valid():  # the parameters are built here, from valid settings
        raise ValueError(filterset.errors)
    return filterset.qs


def attention_groups(today, shown=SHOWN):
    """The panel's groups: overdue, no news for TRACKER_NO_NEWS_MONTHS, and statuses changed
    in the last TRACKER_RECENT_CHANGE_DAYS; two queries each whatever the number of rows."""
    months = settings.TRACKER_NO_NEWS_MONTHS
    days = settings.TRACKER_RECENT_CHANGE_DAYS
    quiet_since = max(months_before(today, months), EARLIEST_DATE)
    changed_since = max(today - datetime.timedelta(days=days), EARLIEST_DATE)
    open_statuses = [("status", value) for value in CommitmentStatus.open_values()]
    groups = [
        AttentionGroup(
            key="overdue",
            title=_("Overdue"),
            rule=_("Past their due date and still open (announced, in progress or unknown)."),
            empty=_("Nothing is overdue."),
            params=[("overdue", "true")],
        ),
        AttentionGroup(
            key="no_news",
            title=ngettext(
                "No news for over a month",
                "No news for over %(months)s months",
                months,
            )
            % {"months": months},
            rule=_("Open commitments promised before %(date)s with no progress report since.")
            % {"date": date_format(quiet_since, "DATE_FORMAT")},
            empty=_("Every open commitment has news."),
            params=[("no_news_since", quiet_since.isoformat()), *open_statuses],
        ),
        AttentionGroup(
            key="status_changed",
            title=_("Status changed recently"),
            rule=ngettext(
                "A progress report dated in the last day (since %(date)s) gave a new status.",
                "A progress report dated in the last %(days)s days (since %(date)s) gave a "
                "new status.",
                days,
            )
            % {"days": days, "date": date_format(changed_since, "DATE_FORMAT")},
            empty=_("No status changed lately."),
            params=[("status_changed_after", changed_since.isoformat())],
        ),
    ]
    orderings = {
        "overdue": ("due_on", "id"),
        "no_news": ("agreement__signed_on", "id"),
        "status_changed": ("-latest_news_on", "-id"),
    }

    def counts_and_rows():
        found = {}
        for group in groups:
            rows = filtered_commitments(group.params)
            ordering = orderings[group.key]
            # The first few are chosen by id alone, then read whole: sorting whole rows with
            # their latest report would compute that report for every row in the group.
            first = rows.order_by(*ordering).values("pk")[:shown]
            found[group.key] = (
                rows.count(),
                list(
                    Commitment.objects.filter(pk__in=first)
                    .select_related("agreement", "party")
                    .with_latest_report()
                    .order_by(*ordering)
                ),
            )
        return found

    # Counting the open commitments scans them all: the counts and rows are kept while the
    # data is unchanged, for the day and the settings that chose them.
    found = cached_figures(
        f"attention:{today.isoformat()}:{months}:{days}:{shown}", counts_and_rows
    )
    for group in groups:
        group.count, group.rows = found[group.key]
        for row in group.rows:
            row.latest_news = (
                format_partial_date(row.latest_report_on, row.latest_report_precision)
                if row.latest_report_on
                else ""
            )
    return groups
