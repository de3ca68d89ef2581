from django import forms
from django.utils.translation import gettext_lazy as _

from .importers import IMPORTERS
from .models import ImportKind


def importable_kinds(user) -> list[tuple[str, str]]:
    """The kinds of record the user may add somewhere."""
    return [(kind, label) for kind, label in ImportKind.choices if user.has_perm(IMPORTERS[kind].permission)]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入类别"), widget=forms.Select(attrs={"class": "form-select"}))
    file = forms.FileField(
        label=_("文件"),
        help_text=_("CSV（UTF-8 或 GB18030 编码）或 XLSX，第 1 行为表头"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = importable_kinds(user)


class ExportFilterForm(forms.Form):
    region = forms.CharField(
        label=_("区划（代码，可选）"), required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "130921", "aria-label": _("区划代码")}),
    )
