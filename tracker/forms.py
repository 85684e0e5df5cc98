"""How the shared FilterSets' forms are shown in the web UI (widgets only, never filter logic).

A party filter may offer ten thousand organisations: instead of a select listing them all,
a model choice is a text input of slugs, with suggestions fetched as one types and the
chosen records' names shown beside them. A slug that names nothing still fails the
FilterSet's own validation, which names the value.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from . import ingest
from .choices import Language
from .models import Agreement, Commitment, Organisation, Person, Source

SUGGESTED_MODELS = {
    Organisation: "organisations",
    Agreement: "agreements",
    Person: "people",
    Source: "sources",
    Commitment: "commitments",
}


class SlugInputs(forms.Widget):
    """One text input per chosen slug, plus an empty one to add another."""

    def __init__(self, model, multiple, label="", attrs=None):
        super().__init__(attrs)
        self.model = model
        self.multiple = multiple
        self.label = label

    def value_from_datadict(self, data, files, name):
        values = (
            [value.strip() for value in data.getlist(name) if value.strip()]
            if hasattr(data, "getlist")
            else [data.get(name)]
            if data.get(name)
            else []
        )
        if self.multiple:
            return values
        return values[0] if values else None

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def format_values(self, value):
        if value in (None, ""):
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [str(getattr(item, "slug", item)) for item in values if item not in (None, "")]

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        base_id = attrs.get("id") or f"id_{name}"
        values = self.format_values(value)
        # A value the form refused may hold what no slug can (a null character, which
        # PostgreSQL cannot even compare): only possible slugs are looked up.
        names = dict(
            self.model.objects.filter(
                slug__in=[slug for slug in values if "\x00" not in slug]
            ).slug_names()
        )
        # A record may be typed by its name (tracker.filtersets.RecordChoice): shown beside it
        # when it names one record; one naming several has the form's error listing them.
        found = {}
        for typed in values:
            if typed not in names and "\x00" not in typed:
                named = list(self.model.objects.named(typed)[:2])
                if len(named) == 1:
                    found[typed] = getattr(named[0], self.model.name_field)
                elif named:
                    found[typed] = ""
        datalist_id = f"{base_id}-suggestions"
        suggest_url = reverse("tracker:suggest", kwargs={"kind": SUGGESTED_MODELS[self.model]})
        inputs = []
        slots = values + [""] if self.multiple or not values else values
        for index, slug in enumerate(slots):
            input_id = base_id if index == 0 else f"{base_id}_{index}"
            known = names.get(slug, found.get(slug))
            if slug and known is None:
                note = format_html('<span class="slug-name slug-unknown">{}</span>', _("not found"))
            elif known:
                note = format_html('<span class="slug-name">{}</span>', known)
            else:
                note = ""
            described = (
                format_html(' aria-describedby="{}"', attrs["aria-describedby"])
                if attrs.get("aria-describedby")
                else ""
            )
            inputs.append(
                format_html(
                    '<span class="slug-item"><input type="text" name="{}" id="{}" value="{}" '
                    'list="{}" data-suggest="{}" autocomplete="off" spellcheck="false"'
                    ' placeholder="{}"{}{}>{}</span>',
                    name,
                    input_id,
                    slug,
                    datalist_id,
                    suggest_url,
                    _("name or slug") if not slug else "",
                    format_html(
                        ' aria-label="{}"', _("%(label)s, another one") % {"label": self.label}
                    )
                    if index
                    else "",
                    described,
                    note,
                )
            )
        options = format_html_join(
            "", '<option value="{}">{}</option>', ((slug, label) for slug, label in names.items())
        )
        return format_html(
            '<span class="slug-inputs" data-multiple="{}">{}</span><datalist id="{}">{}</datalist>',
            "true" if self.multiple else "false",
            mark_safe("".join(inputs)),
            datalist_id,
            options,
        )

    def id_for_label(self, id_):
        return id_


class AnyYesNoSelect(forms.NullBooleanSelect):
    """Yes, no, or either: "Any", where Django's "Unknown" reads as a state of the record.

    "Any" is the empty value, which the filter forms leave out of the address."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]

    def format_value(self, value):
        formatted = super().format_value(value)
        return "" if formatted == "unknown" else formatted


def prepare_filter_form(form):
    """Swap the widgets of a FilterSet form for ones fit for large tables and small screens."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelMultipleChoiceField):
            field.widget = SlugInputs(field.queryset.model, multiple=True, label=field.label)
        elif isinstance(field, forms.ModelChoiceField):
            field.widget = SlugInputs(field.queryset.model, multiple=False, label=field.label)
        elif isinstance(field, forms.MultipleChoiceField):
            field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
        elif isinstance(field, forms.NullBooleanField):
            field.widget = AnyYesNoSelect()
        elif isinstance(field, forms.DateField):
            field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return form


class AddSourceForm(forms.Form):
    """The admin's "add a source from text, a file or an address" (tracker/ingest.py)."""

    text = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        help_text=_("The article's text, pasted."),
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("A saved web page (.html, .htm) or a UTF-8 text file (.txt)."),
    )
    url = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=500,
        help_text=_("A web address (http or https) to fetch the article from."),
    )
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=300,
        help_text=_("Leave empty to take the page's title, or the text's first line."),
    )
    published_on = forms.CharField(
        label=_("Published on"),
        required=False,
        max_length=10,
        help_text=_(
            "YYYY-MM-DD, or YYYY-MM or YYYY when only that is known; leave empty to take "
            "the page's date."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Guess from the text"))] + list(Language.choices),
    )

    def clean_published_on(self):
        value = self.cleaned_data["published_on"].strip()
        if value:
            try:
                ingest.parse_partial_date(value)
            except ValueError:
                raise ValidationError(ingest.date_format_message(value)) from None
        return value

    def add_source(self, admin_url):
        """The new Source, or None with the reasons added to the form's fields.

        `admin_url(source)` gives the link shown when the source is already there.
        """
        upload = self.cleaned_data["file"]
        try:
            return ingest.add_source(
                text=self.cleaned_data["text"],
                file_name=upload.name if upload else "",
                file_data=read_upload(upload) if upload else None,
                url=self.cleaned_data["url"].strip(),
                title=self.cleaned_data["title"],
                published_on=self.cleaned_data["published_on"],
                language=self.cleaned_data["language"],
            )
        except ingest.SourceRefused as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        except ingest.DuplicateSource as duplicate:
            self.add_error(
                None,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("This source is already in the tracker: %(reason)s")
                    % {"reason": duplicate.reason},
                    admin_url(duplicate.source),
                    duplicate.source.title,
                ),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return None


def read_upload(upload):
    """An uploaded file's bytes, read no further than one byte past the size limit."""
    limit = ingest.max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ingest.SourceRefused(ingest.too_large_message(upload.size), "file")
    return upload.read(limit + 1)
