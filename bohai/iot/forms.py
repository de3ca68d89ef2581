"""Forms of the device owner's pages: a device-type alarm rule, a bulk registration file, a duty shift."""
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bohai.engines.alarms.actions import MAX_REPEAT_DAYS
from bohai.engines.alarms.models import ConditionKind, Severity
from bohai.kernel.accounts.models import User
from bohai.kernel.organisations.models import Organisation

from .models import DeviceType, MetricSpec

SIMPLE_KINDS = [(k, label) for k, label in ConditionKind.choices if k != ConditionKind.ALL_OF]


class RuleForm(forms.Form):
    """One condition on one metric of a device type; combinations are made through the API or the admin."""

    name = forms.CharField(label=_("规则名称"), max_length=100)
    device_type = forms.ModelChoiceField(label=_("设备类型"), queryset=DeviceType.objects.all(), to_field_name="code")
    metric = forms.CharField(label=_("指标编码"), max_length=40, required=False,
                             help_text=_("如 pressure；“无数据”规则可留空，表示任一指标"))
    kind = forms.ChoiceField(label=_("条件"), choices=SIMPLE_KINDS)
    threshold = forms.FloatField(label=_("阈值"), required=False)
    lower = forms.FloatField(label=_("下限"), required=False)
    upper = forms.FloatField(label=_("上限"), required=False)
    minutes = forms.IntegerField(label=_("无数据分钟数"), required=False, min_value=1)
    severity = forms.ChoiceField(label=_("级别"), choices=Severity.choices, initial=Severity.MINOR)
    escalation_minutes = forms.IntegerField(label=_("未确认升级（分钟）"), initial=15, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"

    def clean(self):
        cleaned = super().clean()
        device_type, metric = cleaned.get("device_type"), cleaned.get("metric", "")
        if device_type and metric and not MetricSpec.objects.filter(device_type=device_type, code=metric).exists():
            names = "、".join(device_type.metrics.values_list("code", flat=True))
            raise ValidationError({"metric": _("“%(type)s”没有指标 %(metric)s，可选：%(names)s") % {
                "type": device_type.name, "metric": metric, "names": names}})
        return cleaned


class BulkRegistrationForm(forms.Form):
    file = forms.FileField(label=_("设备清单（CSV 或 XLSX）"))


LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class DutyShiftForm(forms.Form):
    """Someone of a unit the user may roster, on duty from … to …, on one or several consecutive days."""

    organisation = forms.ModelChoiceField(label=_("值班机构"), queryset=Organisation.objects.none())
    user = forms.ModelChoiceField(label=_("值班人员"), queryset=User.objects.none())
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput({"type": "datetime-local"},
                                                                                  format=LOCAL_MINUTE))
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=forms.DateTimeInput({"type": "datetime-local"},
                                                                                format=LOCAL_MINUTE))
    days = forms.IntegerField(label=_("连续天数"), initial=1, min_value=1, max_value=MAX_REPEAT_DAYS,
                              help_text=_("同一时段按天重复，如 7 表示排一周"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = Organisation.objects.restrict(user, permission="alarms.add_dutyshift")
        self.fields["organisation"].queryset = units.order_by("path")
        staff = User.objects.filter(is_active=True, organisation__in=units).select_related("organisation")
        self.fields["user"].queryset = staff.order_by("organisation__path", "username")
        self.fields["user"].label_from_instance = lambda member: (
            f"{member.display_name or member.username}（{member.username}）· {member.organisation.name}")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
