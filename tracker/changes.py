"""The UI's recent changes: who changed which record, when, across every kind of record;
filtered by person, kind and dates, paged by "newer" and "older" (tracker/history.py reads
the history, one limited query per kind)."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.formats import localize
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from .dates import EARLIEST_DATE, LATEST_DATE, date_range_message
from .history import KINDS, attach_links, describe_values, recent_changes
from .views import ReadAccessMixin

# A page deeper than this would make each kind's query read more rows than a page is worth;
# the date filters reach further back.
MAX_PAGE = 200


class RecentChangesForm(forms.Form):
    user = forms.CharField(
        label=gettext_lazy("Changed by"),
        required=False,
        help_text=gettext_lazy("A user name."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind of record"), required=False)
    changed_after = forms.DateField(
        label=gettext_lazy("Changed on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    changed_before = forms.DateField(
        label=gettext_lazy("Changed on or before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any"))] + [
            (kind._meta.model_name, capfirst(kind._meta.verbose_name_plural)) for kind in KINDS
        ]

    def clean_user(self):
        name = self.cleaned_data["user"].strip()
        if not name:
            return None
        user = get_user_model()._default_manager.filter(**{"username": name}).first()
        if user is None:
            raise forms.ValidationError(_("No user is named “%(name)s”.") % {"name": name})
        return user

    def clean_kind(self):
        name = self.cleaned_data["kind"]
        return [kind for kind in KINDS if kind._meta.model_name == name] if name else list(KINDS)

    def clean_date(self, name):
        value = self.cleaned_data[name]
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError(date_range_message())
        return value

    def clean_changed_after(self):
        return self.clean_date("changed_after")

    def clean_changed_before(self):
        return self.clean_date("changed_before")

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("changed_after"), cleaned.get("changed_before")
        if after and before and after > before:
            self.add_error(
                "changed_before",
                _("The start date (%(after)s) is after the end date (%(before)s).")
                % {"after": localize(after), "before": localize(before)},
            )
        return cleaned

    def period(self):
        """The dates as the instants they bound: the whole of each day, in local time."""

        def start_of(day):
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

        after, before = self.cleaned_data["changed_after"], self.cleaned_data["changed_before"]
        return (
            start_of(after) if after else None,
            start_of(before + datetime.timedelta(days=1)) if before else None,
        )


class RecentChangesView(ReadAccessMixin, TemplateView):
    """Who changed what, when: every kind of record, newest first, linked to each record's
    page as it is now, or saying it was deleted since."""

    template_name = "tracker/recent_changes.html"
    paginate_by = 25

    def get(self, request, *args, **kwargs):
        form = RecentChangesForm(request.GET)
        valid = form.is_valid()
        number, page_error = self.page_number(request.GET.get("page"))
        changes, more = [], False
        if valid:
            after, before = form.period()
            changes, more = recent_changes(
                kinds=form.cleaned_data["kind"],
                user=form.cleaned_data["user"],
                after=after,
                before=before,
                offset=(number - 1) * self.paginate_by,
                limit=self.paginate_by,
            )
            describe_values(attach_links(changes))
        context = self.get_context_data(
            filterset={"form": form},
            filter_valid=valid,
            changes=changes,
            page_number=number,
            previous_page=number - 1 if number > 1 else None,
            next_page=number + 1 if more and number < MAX_PAGE else None,
            page_error=page_error,
        )
        return self.render_to_response(context)

    def page_number(self, raw):
        raw = raw or "1"
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            return 1, _("“%(page)s” is not a page number; showing the first page.") % {"page": raw}
        if number > MAX_PAGE:
            return MAX_PAGE, _(
                "Pages stop at %(max)s; showing page %(max)s. Filter by date to go further back."
            ) % {"max": MAX_PAGE}
        return number, None
