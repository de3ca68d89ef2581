from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import CHANGE_LABELS, TRANSITIONS

INPUT = {"class": "form-control"}


class VerifyForm(forms.Form):
    number = forms.CharField(
        label=_("证照编号"), max_length=60,
        widget=forms.TextInput(attrs={**INPUT, "class": "form-control form-control-lg font-monospace",
                                      "autocomplete": "off", "placeholder": _("如 YYZZ1309212026000001")}),
    )


class StatusChangeForm(forms.Form):
    change = forms.ChoiceField(label=_("操作"), widget=forms.Select(attrs={"class": "form-select"}))
    reason = forms.CharField(label=_("原因"), max_length=200,
                             widget=forms.Textarea(attrs={**INPUT, "rows": 2, "placeholder": _("写入审计记录")}))

    def __init__(self, *args, status: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["change"].choices = changes_allowed_from(status)


def changes_allowed_from(status: str) -> list[tuple[str, str]]:
    return [(change, CHANGE_LABELS[change]) for change, (_target, sources) in TRANSITIONS.items() if status in sources]
