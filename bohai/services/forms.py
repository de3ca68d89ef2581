"""Forms of the services pages.

The declared application form (an item's `form`) becomes Django fields only to be drawn and to
collect what was typed: the values are checked by the actions (declared_forms.clean_form), and
their errors, keyed "form.<key>", come back to the fields they name. One set of Chinese messages,
whether a resident applies online, a clerk at the window, or a department's system by the API.
"""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bohai.kernel.regions.models import Level, Region

from .models import REVIEW_DIMENSIONS, Rating

INPUT = {"class": "form-control"}
SELECT = {"class": "form-select"}
CHECK = {"class": "form-check-input"}
UPLOAD_ACCEPT = ".pdf,.jpg,.jpeg,.png"


class ListField(forms.Field):
    """Several ticked options, passed on as a list; the action checks them against the declared choices."""

    def to_python(self, value):
        return [v for v in (value or []) if v]


def _declared_field(spec: dict, regions) -> forms.Field:
    kind, attrs = spec["type"], {**INPUT}
    options = {"label": spec["label"], "required": False, "help_text": spec.get("help") or ""}
    if kind in ("text", "address", "email", "phone", "id_number", "credit_code"):
        if spec.get("max_length"):
            attrs["maxlength"] = spec["max_length"]
        if kind in ("id_number", "credit_code"):
            attrs.update({"class": "form-control font-monospace", "maxlength": 18, "autocomplete": "off"})
        if kind == "phone":
            attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        widget = forms.EmailInput(attrs=attrs) if kind == "email" else forms.TextInput(attrs=attrs)
        return forms.CharField(widget=widget, strip=False, **options)
    if kind == "textarea":
        return forms.CharField(widget=forms.Textarea(attrs={**attrs, "rows": 3}), strip=False, **options)
    if kind == "date":
        return forms.CharField(widget=forms.DateInput(attrs={**attrs, "type": "date"}), **options)
    if kind in ("integer", "decimal"):
        attrs.update({"step": "1" if kind == "integer" else "any", "inputmode": "numeric" if kind == "integer" else "decimal"})
        attrs.update({bound: spec[bound] for bound in ("min", "max") if spec.get(bound) is not None})
        return forms.CharField(widget=forms.NumberInput(attrs=attrs), **options)
    if kind == "choice":
        choices = [("", _("请选择"))] + [(c, c) for c in spec.get("choices") or []]
        return forms.CharField(widget=forms.Select(attrs=SELECT, choices=choices), **options)
    if kind == "multichoice":
        choices = [(c, c) for c in spec.get("choices") or []]
        return ListField(widget=forms.CheckboxSelectMultiple(attrs=CHECK, choices=choices), **options)
    if kind == "region":
        return forms.CharField(widget=forms.Select(attrs=SELECT, choices=[("", _("请选择"))] + regions), **options)
    if kind == "boolean":
        choices = [("true", _("是")), ("false", _("否"))]
        return forms.CharField(widget=forms.RadioSelect(attrs=CHECK, choices=choices), **options)
    raise ValueError(f"no widget for declared type {kind!r}")


def region_choices(around=()) -> list[tuple[str, str]]:
    """Counties, zones and townships of the city, townships under their county; for a place deeper than a
    township (a prefilled village or community), the villages and communities of its township too."""
    regions = list(Region.objects.filter(level__in=[Level.COUNTY, Level.ZONE, Level.TOWNSHIP]).order_by("path"))
    under = {}
    for place in Region.objects.filter(key__in=[key for key in around if key]).exclude(
            level__in=[Level.CITY, Level.COUNTY, Level.ZONE, Level.TOWNSHIP]):
        township = next((r for r in regions if r.level == Level.TOWNSHIP and place.path.startswith(r.path)), None)
        if township is not None:
            places = list(Region.objects.filter(path__startswith=township.path, level=Level.COMMUNITY).order_by("path"))
            under[township.pk] = places if place in places else [*places, place]
    choices = []
    for region in regions:
        choices.append((region.key, region.name if region.level != Level.TOWNSHIP else f"\u3000{region.name}"))
        choices += [(place.key, f"\u3000\u3000{place.name}") for place in under.get(region.pk, [])]
    return choices


class DeclaredForm(forms.Form):
    """An item's declared form (or a licence type's fields), field by field, with the required marks
    and help text the declaration gives."""

    def __init__(self, specs: list[dict], *args, prefix: str = "form", **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.specs = [spec for spec in specs if spec["type"] != "attachment"]
        regions = []
        if any(spec["type"] == "region" for spec in self.specs):
            values = {**(self.initial or {}), **{key[len(prefix) + 1:]: value for key, value in (self.data or {}).items()
                                                 if key.startswith(f"{prefix}-")}}
            regions = region_choices([values.get(spec["key"]) for spec in self.specs if spec["type"] == "region"])
        for spec in self.specs:
            self.fields[spec["key"]] = _declared_field(spec, regions)
            self.fields[spec["key"]].declared_required = bool(spec.get("required", True))
            self.fields[spec["key"]].declared_type = spec["type"]

    def values(self) -> dict:
        """What was typed, by declared key (the action cleans it)."""
        self.is_valid()
        return {key: self.cleaned_data.get(key) for key in self.fields}

    def take_errors(self, error: ValidationError, prefix: str = "form.") -> dict:
        """Put the action's "form.<key>" errors on their fields; return the others."""
        self.is_valid()
        others = {}
        for key, field_messages in error.message_dict.items():
            name = key.removeprefix(prefix) if key.startswith(prefix) else key
            if name in self.fields and (key.startswith(prefix) or not prefix):
                self.add_error(name, field_messages)
            else:
                others[key] = field_messages
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        return others


class ProgressForm(forms.Form):
    number = forms.CharField(label=_("申请编号"), max_length=24, widget=forms.TextInput(attrs={
        **INPUT, "class": "form-control font-monospace", "autocomplete": "off", "placeholder": _("如 202611021309210000001")}))
    identity = forms.CharField(label=_("申请人证件号码"), max_length=18, widget=forms.TextInput(attrs={
        **INPUT, "class": "form-control font-monospace", "autocomplete": "off",
        "placeholder": _("居民身份证号码或统一社会信用代码")}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=200, required=False,
                             widget=forms.Textarea(attrs={**INPUT, "rows": 2, "placeholder": _("选填")}))


class SupplementForm(forms.Form):
    note = forms.CharField(label=_("补正说明"), max_length=200, required=False,
                           widget=forms.Textarea(attrs={**INPUT, "rows": 2, "placeholder": _("选填：说明补正了哪些内容")}))


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("总体评价"), coerce=int, choices=Rating.choices,
                                    widget=forms.RadioSelect(attrs=CHECK),
                                    error_messages={"required": _("请选择总体评价")})
    comment = forms.CharField(label=_("评价内容"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={**INPUT, "rows": 3,
                                                           "placeholder": _("选择“不满意”或“非常不满意”时请写明原因")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in REVIEW_DIMENSIONS.items():
            self.fields[f"dimension_{key}"] = forms.TypedChoiceField(
                label=label, coerce=int, required=False, empty_value=None,
                choices=[("", _("未评"))] + list(Rating.choices), widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def dimension_fields(self):
        return [self[f"dimension_{key}"] for key in REVIEW_DIMENSIONS]

    def dimensions(self) -> dict:
        return {key: self.cleaned_data[f"dimension_{key}"] for key in REVIEW_DIMENSIONS
                if self.cleaned_data.get(f"dimension_{key}") is not None}


class IdentityLookupForm(forms.Form):
    identity = forms.CharField(label=_("申请人证件号码"), max_length=18, widget=forms.TextInput(attrs={
        **INPUT, "class": "form-control form-control-lg font-monospace", "autocomplete": "off", "autofocus": True,
        "placeholder": _("身份证号码或统一社会信用代码")}))


class OutcomeForm(forms.Form):
    """A review or decision step: approve, deny with reason, or return to the previous stage."""

    outcome = forms.ChoiceField(label=_("办理结果"), widget=forms.RadioSelect(attrs=CHECK), choices=[
        ("approve", _("通过")), ("deny", _("不予通过")), ("return", _("退回上一环节"))], initial="approve")
    comment = forms.CharField(label=_("办理意见"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={**INPUT, "rows": 3,
                                                           "placeholder": _("不予通过或退回时须写明理由")}))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("不予受理理由"), max_length=1000,
                             widget=forms.Textarea(attrs={**INPUT, "rows": 2, "placeholder": _("申请人将看到此理由")}),
                             error_messages={"required": _("请写明不予受理的理由")})


class RectificationAnswerForm(forms.Form):
    response = forms.CharField(label=_("整改情况"), max_length=2000, widget=forms.Textarea(attrs={**INPUT, "rows": 4}),
                               error_messages={"required": _("请写明整改措施和结果")})
