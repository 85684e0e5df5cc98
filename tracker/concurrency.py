"""Optimistic locking of admin change forms, read from the history every record keeps.

A change form carries the version of its record as the form was opened: for the record and
for each kind of row edited inline with it, how many history rows it has and the latest one.
A save whose record has a newer version since is refused, listing what changed, by whom and
the current values; the fields the editor left alone take the current values, so what was
typed is kept and nothing of the other change is lost by saving again.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Count, Max
from django.forms.models import _get_foreign_key
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

VERSION_FIELD = "record_version"


def record_parts(model, inlines):
    """The record and the rows edited with it: `(model, name of the key to the record)`."""
    parts = [(model, model._meta.pk.attname)]
    for inline in inlines:
        key = _get_foreign_key(model, inline.model, fk_name=inline.fk_name)
        parts.append((inline.model, key.name))
    return parts


def history_rows(part, pk):
    model, key = part
    return model.history.filter(**{key: pk})


def current_version(parts, pk):
    """One `(count, latest history id)` pair per part, the latest history row counting."""
    version = []
    for part in parts:
        totals = history_rows(part, pk).aggregate(
            count=Count("history_id"), latest=Max("history_id")
        )
        version.append((totals["count"], totals["latest"] or 0))
    return tuple(version)


def encode(version):
    return ".".join(f"{count}-{latest}" for count, latest in version)


def decode(value, parts):
    """The version a form was opened at; None if `value` is not one for these parts."""
    try:
        version = tuple(
            tuple(int(number) for number in pair.split("-", 1)) for pair in value.split(".")
        )
    except ValueError:
        return None
    if len(version) != len(parts) or any(len(pair) != 2 for pair in version):
        return None
    return version


def who_and_when(row):
    user = row.history_user.get_username() if row.history_user else _("an import or a script")
    return _("by %(user)s, %(when)s") % {
        "user": user,
        "when": localize(timezone.localtime(row.history_date)),
    }


def shown_value(field, value):
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        target = field.related_model._base_manager.filter(pk=value).first()
        return str(target) if target is not None else str(value)
    return str(value)


class RecordVersionForm(forms.ModelForm):
    """A change form that refuses to overwrite a version of its record newer than its own."""

    record_version = forms.CharField(widget=forms.HiddenInput, required=False)
    # Set by the admin: the record's model first, then each inline's (see `record_parts`).
    record_parts = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_versioned() and not self.is_bound:
            version = current_version(self.record_parts, self.instance.pk)
            self.initial[VERSION_FIELD] = encode(version)

    def is_versioned(self):
        return bool(self.record_parts) and self.instance.pk is not None

    def clean(self):
        cleaned_data = super().clean()
        posted = self.cleaned_data.get(VERSION_FIELD)
        # A form that does not say which version it edits (a script's post) is not checked.
        if self.is_versioned() and posted:
            self.check_version(posted)
        return cleaned_data

    def check_version(self, posted):
        model = self._meta.model
        pk = self.instance.pk
        using = router.db_for_write(model)
        if connections[using].in_atomic_block:
            # Hold the record until this save commits, so a save running beside it waits and
            # then sees this one's history.
            locked = model._base_manager.using(using).select_for_update().filter(pk=pk)
            list(locked.values_list("pk"))
        current = current_version(self.record_parts, pk)
        opened = decode(posted, self.record_parts)
        if opened == current:
            return
        self.show_version(current)
        if opened is None:
            raise ValidationError(
                _(
                    "This page does not say which version of the record it edits; nothing was "
                    "saved. Reload the page and make your changes again."
                ),
                code="version_unknown",
            )
        changes = self.parent_changes(opened[0][1], pk) + self.inline_changes(opened, pk)
        if not changes:
            # Saved again by someone without changing anything: nothing to lose.
            return
        raise ValidationError(
            [
                ValidationError(
                    _(
                        "This %(record)s was changed since you opened this page, and nothing was "
                        "saved. What changed is listed below; the fields you did not edit now "
                        "show the current values, yours are kept. Check them, then save again."
                    ),
                    code="version_changed",
                    params={"record": model._meta.verbose_name},
                ),
                *changes,
            ]
        )

    def show_version(self, version):
        self.data = self.data.copy()
        self.data[self.add_prefix(VERSION_FIELD)] = encode(version)

    def parent_changes(self, opened_latest, pk):
        part = self.record_parts[0]
        newer = list(
            history_rows(part, pk)
            .filter(history_id__gt=opened_latest)
            .select_related("history_user")
            .order_by("history_id")
        )
        if not newer:
            return []
        opened_row = history_rows(part, pk).filter(history_id=opened_latest).first()
        if opened_row is None:
            return [
                ValidationError(
                    _("The record was changed %(who)s."), params={"who": who_and_when(newer[-1])}
                )
            ]
        fields = [name for name in self.fields if name != VERSION_FIELD]
        delta = newer[-1].diff_against(opened_row, included_fields=fields)
        changes = []
        for change in delta.changes:
            field = self._meta.model._meta.get_field(change.field)
            changed_by = next(
                (row for row in newer if getattr(row, field.attname) == change.new), newer[-1]
            )
            changes.append(
                ValidationError(
                    _("%(field)s is now “%(new)s” (it was “%(old)s”), changed %(who)s."),
                    params={
                        "field": field.verbose_name.capitalize(),
                        "new": shown_value(field, change.new),
                        "old": shown_value(field, change.old),
                        "who": who_and_when(changed_by),
                    },
                )
            )
            self.take_current_value(field, change.old, change.new)
        return changes

    def take_current_value(self, field, opened_value, current_value):
        """Show the current value of a field the editor left as it was when the page opened."""
        form_field = self.fields.get(field.name)
        if form_field is None:
            return
        name = self.add_prefix(field.name)
        typed = form_field.widget.value_from_datadict(self.data, self.files, name)
        if form_field.has_changed(opened_value, typed):
            return
        if current_value is None:
            shown = ""
        elif hasattr(current_value, "isoformat"):
            shown = current_value.isoformat()
        else:
            shown = str(current_value)
        self.data[name] = shown

    def inline_changes(self, opened, pk):
        changes = []
        for part, (_count, opened_latest) in zip(self.record_parts[1:], opened[1:], strict=True):
            newer = (
                history_rows(part, pk)
                .filter(history_id__gt=opened_latest)
                .select_related("history_user")
                .order_by("history_id")
            )
            first_seen, last_seen = {}, {}
            for row in newer:
                first_seen.setdefault(row.id, row)
                last_seen[row.id] = row
            for row_id, row in last_seen.items():
                added = first_seen[row_id].history_type == "+"
                if added and row.history_type == "-":
                    continue
                if added:
                    message = _("%(kind)s “%(row)s” was added %(who)s.")
                elif row.history_type == "-":
                    message = _("%(kind)s “%(row)s” was removed %(who)s.")
                else:
                    message = _("%(kind)s “%(row)s” was changed %(who)s.")
                changes.append(
                    ValidationError(
                        message,
                        params={
                            "kind": part[0]._meta.verbose_name.capitalize(),
                            "row": row.instance,
                            "who": who_and_when(row),
                        },
                    )
                )
        return changes
