from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from bohai.kernel.pages.forms import TablerFormMixin


class SignInForm(TablerFormMixin, forms.Form):
    username = forms.CharField(
        label=_("用户名"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TotpCodeForm(TablerFormMixin, forms.Form):
    code = forms.CharField(
        label=_("6 位动态验证码"), min_length=6, max_length=6,
        validators=[RegexValidator(r"^\d{6}$", _("请输入 6 位数字"))],
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"\d{6}",
            "autofocus": True, "placeholder": "000000",
        }),
    )

    def clean_code(self):
        return self.cleaned_data["code"].replace(" ", "")


class BohaiPasswordChangeForm(TablerFormMixin, PasswordChangeForm):
    """Django's checks of the old and new password; the change itself is an action, not form.save()."""

    def save(self, commit=True):
        raise NotImplementedError("use accounts.signin.change_password")
