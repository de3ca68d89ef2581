from django.db import models
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet
from bohai.kernel.crypto import fields as crypto


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Person(models.Model):
    """A natural person, keyed by resident identity number (GB 11643).

    The number and the phone are stored SM4-encrypted; `*_index` is a keyed SM3 blind
    index for exact lookup; `*_masked` is what lists and the audit trail show.
    """

    id_number_cipher = models.TextField(_("身份证号（密文）"))
    id_number_index = models.CharField(_("身份证号索引"), max_length=64, unique=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18)
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    gender = models.CharField(_("性别"), max_length=6, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    phone_cipher = models.TextField(_("手机号（密文）"), blank=True)
    phone_index = models.CharField(_("手机号索引"), max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=20, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="persons", verbose_name=_("所属区划"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region"}

    class Meta:
        ordering = ["id"]
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")
        permissions = [("unmask_person", _("查看未脱敏的个人信息"))]

    def __str__(self):
        return f"{self.name}（{self.id_number_masked}）"

    @property
    def id_number(self) -> str:
        """The plaintext number. Callers must audit the view (identities.actions.reveal_person)."""
        return crypto.decrypt(self.id_number_cipher)

    @property
    def phone(self) -> str:
        return crypto.decrypt(self.phone_cipher)


class EntityType(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    INDIVIDUAL_BUSINESS = "individual", _("个体工商户")
    COOPERATIVE = "cooperative", _("农民专业合作社")
    GOVERNMENT_ORGAN = "organ", _("机关")
    PUBLIC_INSTITUTION = "institution", _("事业单位")
    SOCIAL_ORGANISATION = "social", _("社会组织")
    OTHER = "other", _("其他")


class LegalEntity(models.Model):
    """An organisation keyed by unified social credit code (GB 32100)."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=200, db_index=True)
    entity_type = models.CharField(_("主体类型"), max_length=12, choices=EntityType.choices)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    registered_capital = models.DecimalField(_("注册资本（万元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    industry = models.CharField(_("行业"), max_length=60, blank=True)
    phone_cipher = models.TextField(_("联系电话（密文）"), blank=True)
    phone_index = models.CharField(_("联系电话索引"), max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="legal_entities", verbose_name=_("所属区划"))
    pilot_code_override = models.BooleanField(
        _("试点代码人工确认"), default=False,
        help_text=_("早期试点地区代码不符合校验规则，经授权人员确认后登记"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region"}

    class Meta:
        ordering = ["id"]
        verbose_name = _("法人")
        verbose_name_plural = _("法人")
        permissions = [("override_pilot_code", _("确认试点统一社会信用代码"))]

    def __str__(self):
        return self.name
