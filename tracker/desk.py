"""The reading desk: cite a passage selected in a source's text, for a new or an existing record.

The client names the selection by its offsets in `source.text`, never by its words: the
quote is cut from the stored text, so it is exact by construction and keeps its place. A new
record and the citation of its quote are saved in one transaction, after the model's own
validation; a failure keeps neither.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from .choices import ClaimField
from .filtersets import SearchField
from .forms import SlugInputs
from .models import (
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    CommitmentReport,
    Organisation,
    OrganisationLink,
    Person,
    Position,
    Source,
)

# Selection ----------------------------------------------------------------------------------


class SelectionForm(forms.Form):
    """A passage of a source's text, by its offsets; the quote is cut from the stored text.

    Spaces and line breaks at either end of a selection are left out of the quote (a
    selection made with a mouse often takes the space after the last word).
    """

    start = forms.IntegerField(label=gettext_lazy("start"), min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(label=gettext_lazy("end"), min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, source, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None or end is None:
            raise ValidationError(
                _(
                    "Select a passage of the text first: its start and end are missing or "
                    "not numbers."
                )
            )
        length = len(self.source.text)
        if not start < end <= length:
            raise ValidationError(
                _(
                    "The selection (characters %(start)s to %(end)s) does not lie within the "
                    "text, which has %(length)s characters; select the passage again."
                )
                % {"start": start, "end": end, "length": length}
            )
        passage = self.source.text[start:end]
        if not passage.strip():
            raise ValidationError(_("The selection holds only spaces; select words of the text."))
        cleaned["start"] = start + len(passage) - len(passage.lstrip())
        cleaned["end"] = end - (len(passage) - len(passage.rstrip()))
        cleaned["quote"] = self.source.text[cleaned["start"] : cleaned["end"]]
        return cleaned


# Records ------------------------------------------------------------------------------------


def record_choice(model, label):
    """A record chosen by its slug, typed with suggestions (ten thousand never fit a list)."""
    return forms.ModelChoiceField(
        queryset=model.objects.all(),
        to_field_name="slug",
        label=label,
        widget=SlugInputs(model, multiple=False, label=label),
        error_messages={
            "invalid_choice": gettext_lazy(
                "No record has this slug; choose one of the suggestions."
            )
        },
    )


def optional_record_choice(model, label):
    field = record_choice(model, label)
    field.required = False
    return field


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class RecordForm(forms.ModelForm):
    """A record created from a selection: its model's validation decides, field by field."""

    # The field a new record's slug is made from, when none is typed; the quote prefills it.
    slug_from = None
    prefilled_from_quote = None
    prefilled_from_name = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("Leave empty to make one from the name.")
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DateInput()

    def clean(self):
        cleaned = super().clean()
        if "slug" in self.fields and not cleaned.get("slug") and cleaned.get(self.slug_from):
            cleaned["slug"] = self._meta.model.objects.unique_slug(cleaned[self.slug_from])
        return cleaned

    @classmethod
    def initial_from(cls, quote, name=""):
        words = " ".join(quote.split())
        initial = {}
        if cls.prefilled_from_name and name:
            initial[cls.prefilled_from_name] = name
        elif cls.prefilled_from_quote:
            field = cls._meta.model._meta.get_field(cls.prefilled_from_quote)
            if field.max_length is None or len(words) <= field.max_length:
                initial[cls.prefilled_from_quote] = words
        return initial


class OrganisationForm(RecordForm):
    slug_from = prefilled_from_quote = prefilled_from_name = "name"

    class Meta:
        model = Organisation
        fields = ["name", "acronym", "kind", "country", "description", "slug"]


class PersonForm(RecordForm):
    slug_from = prefilled_from_quote = prefilled_from_name = "name"

    class Meta:
        model = Person
        fields = ["name", "description", "slug"]


class PositionForm(RecordForm):
    prefilled_from_quote = "title"
    person = record_choice(Person, gettext_lazy("person"))
    organisation = record_choice(Organisation, gettext_lazy("organisation"))

    class Meta:
        model = Position
        fields = ["person", "organisation", "title", "started_on", "ended_on"]


class AgreementForm(RecordForm):
    slug_from = prefilled_from_quote = prefilled_from_name = "title"

    class Meta:
        model = Agreement
        fields = [
            "title",
            "kind",
            "status",
            "signed_on",
            "signed_on_precision",
            "place",
            "summary",
            "slug",
        ]


class PartyForm(RecordForm):
    agreement = record_choice(Agreement, gettext_lazy("agreement"))
    organisation = record_choice(Organisation, gettext_lazy("organisation"))
    signed_by = optional_record_choice(Person, gettext_lazy("signed by"))

    class Meta:
        model = AgreementParty
        fields = ["agreement", "organisation", "role", "signed_by"]


class CommitmentForm(RecordForm):
    slug_from = prefilled_from_quote = "description"
    agreement = record_choice(Agreement, gettext_lazy("agreement"))
    party = record_choice(Organisation, gettext_lazy("party"))
    beneficiary = optional_record_choice(Organisation, gettext_lazy("beneficiary"))

    class Meta:
        model = Commitment
        fields = [
            "description",
            "agreement",
            "party",
            "beneficiary",
            "beneficiary_description",
            "category",
            "status",
            "due_on",
            "slug",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class ReportForm(RecordForm):
    """A commitment's progress report; the selection is its first quote."""

    prefilled_from_quote = "summary"
    commitment = record_choice(Commitment, gettext_lazy("commitment"))

    class Meta:
        model = CommitmentReport
        fields = ["commitment", "reported_on", "reported_on_precision", "status", "summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


@dataclass(frozen=True)
class Kind:
    """A kind of record the desk cites: its name in addresses, its citation field, its form."""

    name: str
    model: type
    citation_field: str
    form_class: type | None = None  # None: cited, not created here

    @property
    def label(self):
        return Citation._meta.get_field(self.citation_field).verbose_name

    def permission(self, action):
        return f"{self.model._meta.app_label}.{action}_{self.model._meta.model_name}"


KINDS = {
    kind.name: kind
    for kind in (
        Kind("organisation", Organisation, "organisation", OrganisationForm),
        Kind("link", OrganisationLink, "organisation_link"),
        Kind("person", Person, "person", PersonForm),
        Kind("position", Position, "position", PositionForm),
        Kind("agreement", Agreement, "agreement", AgreementForm),
        Kind("party", AgreementParty, "agreement_party", PartyForm),
        Kind("commitment", Commitment, "commitment", CommitmentForm),
        Kind("report", CommitmentReport, "report", ReportForm),
    )
}
CREATABLE = [kind for kind in KINDS.values() if kind.form_class]
CITE_PERMISSION = "tracker.add_citation"


def record_label(kind, record):
    """'Kind: label' of a record, as the source page names the record a citation supports."""
    label = Citation(**{kind.citation_field: record}).target_label()
    return f"{str(kind.label).capitalize()}: {label}"


def candidates(query, limit=8):
    """Records of every citable kind matching `query`, as (value "kind:pk", label)."""
    related = {
        "link": ("from_organisation", "to_organisation"),
        "position": ("person", "organisation"),
        "party": ("agreement", "organisation"),
        "report": ("commitment",),
    }
    found = []
    for kind in KINDS.values():
        rows = kind.model.objects.search(query).select_related(*related.get(kind.name, ()))
        found += [(f"{kind.name}:{row.pk}", record_label(kind, row)) for row in rows[:limit]]
    return found


def desk_context(request, source):
    """What the source page's desk panel offers this user, or None: readers see no controls."""
    user = request.user
    if not user.has_perm(CITE_PERMISSION):
        return None
    create = [
        (kind, reverse("tracker:desk-new", kwargs={"slug": source.slug, "kind": kind.name}))
        for kind in CREATABLE
        if user.has_perm(kind.permission("add"))
    ]
    attach = any(user.has_perm(kind.permission("change")) for kind in KINDS.values())
    if not create and not attach:
        return None
    return {
        "create": create,
        "attach": attach,
        "attach_url": reverse("tracker:desk-attach", kwargs={"slug": source.slug}),
        "records_url": reverse("tracker:desk-records", kwargs={"slug": source.slug}),
    }


# Views --------------------------------------------------------------------------------------


class DeskView(AccessMixin, TemplateView):
    """A desk page of one source, for users with the permissions `required_permissions` names.

    Anonymous users are sent to log in; signed-in users without the permissions get 403.
    """

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.source = get_object_or_404(Source, slug=kwargs["slug"])
        if not request.user.has_perms(self.required_permissions(**kwargs)):
            raise PermissionDenied(_("You are not allowed to cite this source for that record."))
        return super().dispatch(request, *args, **kwargs)

    def required_permissions(self, **kwargs):
        return [CITE_PERMISSION]

    def selection(self, data):
        return SelectionForm(data, source=self.source)

    def saved(self, citation, message):
        messages.success(
            self.request,
            format_html(
                '{} <a href="{}">{}</a>',
                message,
                citation.target.get_absolute_url(),
                _("Open the record"),
            ),
        )
        return redirect(f"{self.source.get_absolute_url()}#citation-{citation.pk}")


def cite(source, selection, record, kind, note="", field="", value=""):
    """The citation of the selected quote for `record`, validated and saved (reporting
    `value` for the record's `field`, when given)."""
    citation = Citation(
        source=source,
        quote=selection.cleaned_data["quote"],
        start=selection.cleaned_data["start"],
        end=selection.cleaned_data["end"],
        note=note,
        field=field,
        value=value,
        **{kind.citation_field: record},
    )
    citation.full_clean()
    citation.save()
    return citation


class NoteField(forms.CharField):
    def __init__(self):
        super().__init__(
            label=gettext_lazy("note"),
            max_length=300,
            required=False,
            help_text=gettext_lazy("What the quote establishes, if not obvious."),
        )


class CitationNoteForm(forms.Form):
    note = NoteField()


class CreateFromSelectionView(DeskView):
    """A new record of one kind, prefilled from the selection, saved with its citation."""

    template_name = "tracker/desk_new.html"

    def dispatch(self, request, *args, **kwargs):
        self.kind = KINDS.get(kwargs["kind"])
        if self.kind is None or self.kind.form_class is None:
            raise Http404(_("No record of the kind “%(kind)s” is made here.") % kwargs)
        return super().dispatch(request, *args, **kwargs)

    def required_permissions(self, **kwargs):
        return [CITE_PERMISSION, self.kind.permission("add")]

    def get(self, request, *args, **kwargs):
        selection = self.selection(request.GET)
        if not selection.is_valid():
            return self.render_page(selection, None, None, status=400)
        initial = self.kind.form_class.initial_from(
            selection.cleaned_data["quote"], request.GET.get("name", "").strip()
        )
        form_class = self.kind.form_class
        initial.update(
            {name: request.GET[name] for name in form_class.base_fields if request.GET.get(name)}
        )
        return self.render_page(selection, form_class(initial=initial), CitationNoteForm())

    def post(self, request, *args, **kwargs):
        selection = self.selection(request.POST)
        form = self.kind.form_class(request.POST)
        note = CitationNoteForm(request.POST)
        if not selection.is_valid():
            return self.render_page(selection, form, note, status=400)
        if form.is_valid() and note.is_valid():
            try:
                with transaction.atomic():
                    record = form.save()
                    citation = cite(
                        self.source, selection, record, self.kind, note.cleaned_data["note"]
                    )
            except ValidationError as error:
                form.add_error(None, error.messages)
            except IntegrityError:
                form.add_error(
                    None, _("Another change was saved meanwhile; check the fields and save again.")
                )
            else:
                return self.saved(
                    citation,
                    _("%(kind)s “%(record)s” created, citing the selection.")
                    % {"kind": str(self.kind.label).capitalize(), "record": record},
                )
        return self.render_page(selection, form, note)

    def render_page(self, selection, form, note, status=200):
        quote = selection.cleaned_data.get("quote") if selection.is_valid() else None
        return self.render_to_response(
            {
                "source": self.source,
                "kind": self.kind,
                "selection": selection,
                "quote": quote,
                "form": form,
                "note_form": note,
            },
            status=status,
        )


class AttachForm(forms.Form):
    record = forms.CharField(label=gettext_lazy("record"))
    note = NoteField()
    field = forms.ChoiceField(
        label=gettext_lazy("Field the quote reports"),
        choices=[("", "—"), *ClaimField.choices],
        required=False,
    )
    value = forms.CharField(
        label=gettext_lazy("Value it gives"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "A date as 2021-12-28, 2021-12 or 2021; a status's code; 40 or >40."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_record(self):
        value = self.cleaned_data["record"]
        kind_name, _sep, pk = value.partition(":")
        kind = KINDS.get(kind_name)
        if kind is None or not pk.isdigit():
            raise ValidationError(_("Choose one of the records found."))
        if not self.user.has_perm(kind.permission("change")):
            raise PermissionDenied(_("You are not allowed to change this kind of record."))
        record = kind.model.objects.filter(pk=int(pk)).first()
        if record is None:
            raise ValidationError(_("This record no longer exists; search again."))
        self.cleaned_data["kind"] = kind
        return record


class AttachToRecordView(DeskView):
    """The selection cited for an existing record of any kind, found by its name."""

    template_name = "tracker/desk_attach.html"

    def get(self, request, *args, **kwargs):
        selection = self.selection(request.GET)
        return self.render_page(
            selection,
            AttachForm(user=request.user),
            request.GET.get("q", ""),
            status=200 if selection.is_valid() else 400,
        )

    def post(self, request, *args, **kwargs):
        selection = self.selection(request.POST)
        form = AttachForm(request.POST, user=request.user)
        if not selection.is_valid():
            return self.render_page(selection, form, "", status=400)
        if form.is_valid():
            kind, record = form.cleaned_data["kind"], form.cleaned_data["record"]
            try:
                with transaction.atomic():
                    citation = cite(
                        self.source,
                        selection,
                        record,
                        kind,
                        form.cleaned_data["note"],
                        form.cleaned_data["field"],
                        form.cleaned_data["value"],
                    )
            except ValidationError as error:
                # A wrong field or value is shown beside the input it comes from.
                errors = error.message_dict if hasattr(error, "error_dict") else {}
                for name, messages in errors.items():
                    form.add_error(name if name in ("field", "value") else None, messages)
                if not errors:
                    form.add_error(None, error.messages)
            else:
                return self.saved(
                    citation,
                    _("The selection now supports %(record)s.")
                    % {"record": record_label(kind, record)},
                )
        return self.render_page(selection, form, request.POST.get("q", ""))

    def render_page(self, selection, form, query, status=200):
        found, search_error = [], None
        if query:
            try:
                found = candidates(SearchField().clean(query))
            except ValidationError as error:
                search_error = " ".join(error.messages)
        return self.render_to_response(
            {
                "source": self.source,
                "selection": selection,
                "quote": selection.cleaned_data.get("quote") if selection.is_valid() else None,
                "form": form,
                "query": query,
                "found": found,
                "search_error": search_error,
            },
            status=status,
        )


class RecordSuggestView(DeskView):
    """Records of every citable kind matching what is typed, for the desk's type-ahead."""

    def get(self, request, *args, **kwargs):
        try:
            query = SearchField().clean(request.GET.get("q", ""))
        except ValidationError as error:
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        found = candidates(query) if query else []
        return JsonResponse({"results": [{"value": v, "label": label} for v, label in found]})
