"""The electronic licence library (电子证照库): licence types, the issuing units' SM2 keys, licences.

A licence record follows GB/T 36901-36905: what it says is signed by the issuing unit with SM2 over
a canonical serialisation (signing.canonical_payload); its status is kept beside it, unsigned, and
checked separately when it is verified, so that revoking a licence never touches the signed content.
"""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bohai.kernel.accounts.scoping import ScopedQuerySet
from bohai.kernel.crypto import fields as crypto


class HolderKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTITY = "entity", _("法人和其他组织")
    EITHER = "either", _("自然人或法人")


class FieldType(models.TextChoices):
    TEXT = "text", _("文本")
    DATE = "date", _("日期")
    NUMBER = "number", _("数字")


class LicenseType(models.Model):
    """A kind of licence (营业执照, 结婚证 …): who issues it, to whom, for how long, with which fields.

    `fields` lists the type's own fields beyond the standard ones, as
    [{"key": "premises", "label": "经营场所", "type": "text", "required": true}, …].
    """

    code = models.SlugField(_("代码"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    number_prefix = models.CharField(_("编号前缀"), max_length=8, help_text=_("证照编号的开头，如营业执照 YYZZ"))
    issuing_function = models.CharField(
        _("颁发部门职能"), max_length=40, help_text=_("机构的职能类别，如 market_regulation"),
    )
    holder_kind = models.CharField(_("持证主体"), max_length=8, choices=HolderKind.choices)
    validity_years = models.PositiveSmallIntegerField(_("有效期（年）"), null=True, blank=True,
                                                      help_text=_("空为长期有效"))
    fields = models.JSONField(_("照面信息项"), default=list, blank=True)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")

    def __str__(self):
        return self.name

    @property
    def is_long_term(self) -> bool:
        return self.validity_years is None


class SigningKey(models.Model):
    """The SM2 key pair with which one issuing unit signs its licences.

    The private key is SM4-encrypted at rest with the platform's data key. `seal` (keyed SM3 over
    the key id and the public key) ties each public key to this platform's secret, so that a key
    pair slipped into the table behind the platform's back does not verify.
    """

    key_id = models.CharField(_("密钥标识"), max_length=32, unique=True)
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                     related_name="signing_keys", verbose_name=_("机构"))
    public_key = models.CharField(_("公钥（十六进制）"), max_length=128)
    private_key_cipher = models.TextField(_("私钥（密文）"))
    seal = models.CharField(_("公钥校验码"), max_length=64)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["organisation", "-created_at"]
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")
        constraints = [
            models.UniqueConstraint(fields=["organisation"], condition=Q(retired_at__isnull=True),
                                    name="licenses_one_active_key_per_unit"),
        ]

    def __str__(self):
        return f"{self.organisation} · {self.key_id}"


class LicenseStatus(models.TextChoices):
    VALID = "01", _("有效")
    SEIZED = "02", _("暂扣")
    REVOKED = "03", _("撤销")
    CANCELLED = "04", _("注销")
    EXPIRED = "05", _("过期")
    TRANSFERRED = "06", _("转出")
    REVOKED_BY_PENALTY = "07", _("吊销")
    OTHER = "99", _("其他")


class HolderIdType(models.TextChoices):
    # The national licence catalogue's holder identity types: 111 resident identity number,
    # 001 unified social credit code.
    RESIDENT_ID = "111", _("公民身份号码")
    CREDIT_CODE = "001", _("统一社会信用代码")


class License(models.Model):
    """One issued licence. Everything in signing.canonical_payload is signed; status is not."""

    identifier = models.CharField(_("证照标识"), max_length=64, unique=True)
    number = models.CharField(_("证照编号"), max_length=40, unique=True)
    name = models.CharField(_("证照名称"), max_length=100)
    license_type = models.ForeignKey(LicenseType, on_delete=models.PROTECT, related_name="licenses",
                                     verbose_name=_("证照类型"))
    type_version = models.PositiveSmallIntegerField(_("证照类型版本"))
    issuing_organisation = models.ForeignKey("organisations.Organisation", on_delete=models.PROTECT,
                                             related_name="issued_licenses", verbose_name=_("颁证单位"))
    agency_name = models.CharField(_("颁证单位名称"), max_length=100)
    agency_code = models.CharField(_("颁证单位代码"), max_length=40)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("颁证单位区划"))
    division_code = models.CharField(_("行政区划代码"), max_length=32)
    issue_date = models.DateField(_("颁证日期"))
    valid_from = models.DateField(_("有效期起始"))
    valid_until = models.DateField(_("有效期截止"), null=True, blank=True, help_text=_("空为长期有效"))
    holder_name = models.CharField(_("持证主体"), max_length=200)
    holder_id_type = models.CharField(_("持证主体代码类型"), max_length=3, choices=HolderIdType.choices)
    holder_id_cipher = models.TextField(_("持证主体代码（密文）"))
    holder_id_index = models.CharField(_("持证主体代码索引"), max_length=64, db_index=True)
    holder_id_masked = models.CharField(_("持证主体代码"), max_length=32)
    holder_person = models.ForeignKey("identities.Person", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="licenses", verbose_name=_("持证自然人"))
    holder_entity = models.ForeignKey("identities.LegalEntity", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="licenses", verbose_name=_("持证法人"))
    service_item_code = models.CharField(_("关联事项编码"), max_length=64, blank=True)
    application_number = models.CharField(_("办件编号"), max_length=64, blank=True)
    extension = models.JSONField(_("照面扩展信息"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=2, choices=LicenseStatus.choices,
                              default=LicenseStatus.VALID, db_index=True)
    status_reason = models.CharField(_("状态变更原因"), max_length=200, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    signing_key = models.ForeignKey(SigningKey, to_field="key_id", on_delete=models.PROTECT, related_name="licenses",
                                    verbose_name=_("签名密钥"))
    payload_digest = models.CharField(_("签名内容摘要（SM3）"), max_length=64)
    signature = models.TextField(_("SM2 签名（Base64）"))
    signed_at = models.DateTimeField(_("签名时间"))
    # 加注件 (an annotated copy for one purpose), as GB/T 36905 lists it; not part of the signed content.
    annotation_creator = models.CharField(_("加注件制作者"), max_length=100, blank=True)
    annotation_reason = models.CharField(_("加注事由"), max_length=200, blank=True)
    annotation_expires_on = models.DateField(_("加注件有效期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = {"region": "region", "organisation": "issuing_organisation"}

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        indexes = [
            models.Index(fields=["holder_person", "status"], name="licenses_person_status"),
            models.Index(fields=["holder_entity", "status"], name="licenses_entity_status"),
            models.Index(fields=["status", "valid_until"], name="licenses_status_until"),
        ]

    def __str__(self):
        return f"{self.name} {self.number}"

    @property
    def holder_id_number(self) -> str:
        """The holder's plaintext identity number: for signing and verification, never for display."""
        return crypto.decrypt(self.holder_id_cipher)

    @property
    def is_long_term(self) -> bool:
        return self.valid_until is None


class LicenseSerial(models.Model):
    """The last serial given for one type, division and year: licence numbers count up without gaps."""

    license_type = models.ForeignKey(LicenseType, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("证照类型"))
    division_code = models.CharField(_("行政区划代码"), max_length=32)
    year = models.PositiveSmallIntegerField(_("年份"))
    last = models.PositiveIntegerField(_("已用流水号"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["license_type", "division_code", "year"]
        unique_together = [("license_type", "division_code", "year")]
        verbose_name = _("证照流水号")
        verbose_name_plural = _("证照流水号")

    def __str__(self):
        return f"{self.license_type_id}/{self.division_code}/{self.year}: {self.last}"
