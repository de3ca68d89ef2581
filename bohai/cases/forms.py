"""Forms of the cases pages.

They draw the fields and collect what was typed; the actions check it (report_case: description,
location, photos[i], caller_phone) and their errors come back beside the fields they name
(`take_errors`). Choices are built per request, from the class tree and the regions as they are now.
"""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import AppealType, Satisfaction, Status, Track, Urgency
from .queries import CITY_KINDS, HOTLINE_KINDS, STAGES, class_choices, class_tree, region_choices

INPUT = {"class": "form-control"}
SELECT = {"class": "form-select"}
PHOTO_ACCEPT = "image/jpeg,image/png"


def _with_blank(choices, blank=_("请选择")) -> list:
    return [("", blank), *choices]


class ProblemForm(forms.Form):
    """A problem as a resident or a grid worker reports it: where (point, or region and address), what, photos."""

    description = forms.CharField(label=_("问题描述"), required=False, strip=False, widget=forms.Textarea(attrs={
        **INPUT, "rows": 4, "maxlength": 4000, "placeholder": _("例如：解放路与永济路口的井盖缺失，夜间很危险")}))
    case_class = forms.ChoiceField(label=_("问题分类"), required=False)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    region = forms.ChoiceField(label=_("所在区县、乡镇（街道）"), required=False, widget=forms.Select(attrs=SELECT))
    address = forms.CharField(label=_("详细地址"), required=False, max_length=200, widget=forms.TextInput(attrs={
        **INPUT, "placeholder": _("路名、小区、门牌号或附近标志物")}))

    def __init__(self, *args, kinds=CITY_KINDS, under=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_class"].choices = _with_blank(class_choices(kinds), _("不确定（由监督中心确定）"))
        self.fields["case_class"].widget.attrs.update(SELECT)
        self.fields["region"].choices = _with_blank(region_choices(under))

    def value(self, name: str):
        return self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None


class HotlineForm(ProblemForm):
    """12345 intake, in the order an operator asks: number, name, what kind of appeal, what, where, how urgent."""

    caller_phone = forms.CharField(label=_("来电号码"), required=False, max_length=20, widget=forms.TextInput(attrs={
        **INPUT, "inputmode": "tel", "autocomplete": "off", "autofocus": True, "class": "form-control font-monospace"}))
    caller_name = forms.CharField(label=_("来电人"), required=False, max_length=20, widget=forms.TextInput(attrs={
        **INPUT, "autocomplete": "off", "placeholder": _("只保存脱敏后的姓名")}))
    appeal_type = forms.ChoiceField(label=_("诉求类型"), required=False, choices=AppealType.choices,
                                    initial=AppealType.HELP, widget=forms.Select(attrs=SELECT))
    urgency = forms.ChoiceField(label=_("紧急程度"), required=False, choices=Urgency.choices, initial=Urgency.NORMAL,
                                widget=forms.RadioSelect)

    field_order = ["caller_phone", "caller_name", "appeal_type", "case_class", "description", "region", "address",
                   "urgency", "lng", "lat"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, kinds=HOTLINE_KINDS, **kwargs)
        self.fields["case_class"].label = _("诉求领域")
        self.fields["case_class"].choices = _with_blank(class_choices(HOTLINE_KINDS), _("按智能建议"))
        self.fields["description"].widget.attrs["placeholder"] = _("按来电人所述记录：何时、何地、什么问题、诉求是什么")


def take_errors(form: forms.Form, error: ValidationError) -> dict[str, list[str]]:
    """Put an action's field errors on the form's fields of the same name; return the others (location, photos[i])."""
    others = {}
    for key, messages in error.message_dict.items():
        if key in form.fields and key not in ("lng", "lat"):
            for message in messages:
                form.add_error(key, message)
        else:
            others[key] = messages
    return others


def photo_errors(others: dict[str, list[str]]) -> list[str]:
    """The photo errors, numbered as the user chose the files (第 1 张照片 …)."""
    found = []
    for key, messages in sorted(others.items()):
        if key == "photos":
            found += messages
        elif key.startswith("photos["):
            position = int(key[7:-1]) + 1
            found += [_("第 %(n)d 张照片：%(message)s") % {"n": position, "message": m} for m in messages]
    return found


class TrackForm(forms.Form):
    number = forms.CharField(label=_("案件编号"), max_length=24, widget=forms.TextInput(attrs={
        **INPUT, "class": "form-control font-monospace", "placeholder": "CG20261102000001", "autocomplete": "off",
        "spellcheck": "false"}))

    def clean_number(self):
        return self.cleaned_data["number"].strip().upper()


# The action panel ------------------------------------------------------------------------------------------

class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={**INPUT, "rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("处置情况"), required=False, widget=forms.Textarea(attrs={**INPUT, "rows": 3}))


class ExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("延期（工作日）"), min_value=1, max_value=30, initial=3,
                              widget=forms.NumberInput(attrs={**INPUT, "min": 1, "max": 30}))
    reason = forms.CharField(label=_("延期理由"), required=False, widget=forms.Textarea(attrs={**INPUT, "rows": 2}))


class FollowUpForm(forms.Form):
    satisfaction = forms.ChoiceField(label=_("满意度"), choices=Satisfaction.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("回访记录"), required=False, widget=forms.Textarea(attrs={**INPUT, "rows": 2}))


# The list of cases in scope ------------------------------------------------------------------------------------

class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("案件编号或描述"), required=False, widget=forms.TextInput(attrs={
        **INPUT, "placeholder": _("案件编号或描述中的词")}))
    track = forms.ChoiceField(label=_("业务"), required=False, choices=_with_blank(Track.choices, _("全部业务")),
                              widget=forms.Select(attrs=SELECT))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_with_blank(Status.choices, _("全部状态")),
                               widget=forms.Select(attrs=SELECT))
    case_class = forms.ChoiceField(label=_("分类"), required=False, widget=forms.Select(attrs=SELECT))
    region = forms.ChoiceField(label=_("区县、乡镇"), required=False, widget=forms.Select(attrs=SELECT))
    overdue = forms.BooleanField(label=_("只看超期"), required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    since = forms.DateField(label=_("上报自"), required=False, widget=forms.DateInput(attrs={**INPUT, "type": "date"}))
    until = forms.DateField(label=_("上报至"), required=False, widget=forms.DateInput(attrs={**INPUT, "type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        classes = []
        for major in class_tree(CITY_KINDS + HOTLINE_KINDS):
            classes.append((major["code"], major["name"]))
            classes += [(minor["code"], f"\u3000{minor['name']}") for minor in major["minors"]]
        self.fields["case_class"].choices = _with_blank(classes, _("全部分类"))
        self.fields["region"].choices = _with_blank(region_choices(), _("全市"))


class QueueFilterForm(forms.Form):
    stage = forms.ChoiceField(label=_("环节"), required=False, choices=_with_blank(STAGES, _("全部环节")),
                              widget=forms.Select(attrs=SELECT))
    warning = forms.ChoiceField(label=_("预警"), required=False, choices=[
        ("", _("全部预警状态")), ("0", _("正常")), ("1", _("黄牌预警")), ("2", _("红牌超期"))], widget=forms.Select(attrs=SELECT))
    track = forms.ChoiceField(label=_("业务"), required=False, choices=_with_blank(Track.choices, _("全部业务")),
                              widget=forms.Select(attrs=SELECT))
