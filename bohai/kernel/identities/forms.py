from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bohai.kernel.regions.models import Level, Region

INPUT = {"class": "form-control"}


def regions_for(user, permission: str):
    """Counties, zones and townships where the user may register records."""
    regions = Region.objects.filter(level__in=[Level.CITY, Level.COUNTY, Level.ZONE, Level.TOWNSHIP])
    if user.is_superuser:
        return regions
    paths = [path for path, _org in user.scopes_for(permission)]
    if not paths:
        return regions.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return regions.filter(condition)


class PersonForm(forms.Form):
    id_number = forms.CharField(label=_("居民身份证号码"), max_length=18, widget=forms.TextInput(attrs={**INPUT, "autocomplete": "off", "inputmode": "text"}))
    name = forms.CharField(label=_("姓名"), max_length=50, widget=forms.TextInput(attrs=INPUT))
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False, widget=forms.TextInput(attrs=INPUT))
    address = forms.CharField(label=_("住址"), max_length=200, required=False, widget=forms.TextInput(attrs=INPUT))
    region = forms.ModelChoiceField(
        label=_("所属区划"), queryset=Region.objects.none(), required=False,
        empty_label=_("按身份证地址码自动确定"), widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user, "identities.add_person")


class LegalEntityForm(forms.Form):
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, widget=forms.TextInput(attrs={**INPUT, "autocomplete": "off"}))
    name = forms.CharField(label=_("名称"), max_length=200, widget=forms.TextInput(attrs=INPUT))
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=50, required=False, widget=forms.TextInput(attrs=INPUT))
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False, widget=forms.TextInput(attrs=INPUT))
    address = forms.CharField(label=_("住所"), max_length=200, required=False, widget=forms.TextInput(attrs=INPUT))
    industry = forms.CharField(label=_("行业"), max_length=60, required=False, widget=forms.TextInput(attrs=INPUT))
    established_on = forms.DateField(label=_("成立日期"), required=False, widget=forms.DateInput(attrs={**INPUT, "type": "date"}))
    region = forms.ModelChoiceField(
        label=_("所属区划"), queryset=Region.objects.none(), required=False,
        empty_label=_("按代码中的区划码自动确定"), widget=forms.Select(attrs={"class": "form-select"}),
    )
    allow_pilot_override = forms.BooleanField(
        label=_("确认为早期试点代码（校验位不符但合法）"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user, "identities.add_legalentity")
        if not user.has_perm("identities.override_pilot_code"):
            del self.fields["allow_pilot_override"]


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看理由"), max_length=200, widget=forms.TextInput(attrs={**INPUT, "placeholder": _("如：核对户籍信息")}))
