from django.contrib.auth.models import AbstractUser, Permission
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scoping import ScopedQuerySet


class AccountKind(models.TextChoices):
    RESIDENT = "resident", _("居民")
    ENTERPRISE_AGENT = "agent", _("企业经办人")
    STAFF = "staff", _("工作人员")


class UserManager(DjangoUserManager.from_queryset(ScopedQuerySet)):
    def create_superuser(self, username, email=None, password=None, **extra):
        extra.setdefault("kind", AccountKind.STAFF)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """One account per identity: residents bound to a Person, agents to a Person and a LegalEntity,
    staff to an organisation unit."""

    kind = models.CharField(_("账户类型"), max_length=10, choices=AccountKind.choices, default=AccountKind.RESIDENT)
    person = models.OneToOneField(
        "identities.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="account",
        verbose_name=_("实名身份"),
    )
    legal_entity = models.ForeignKey(
        "identities.LegalEntity", null=True, blank=True, on_delete=models.PROTECT, related_name="agents",
        verbose_name=_("代办法人"),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="staff",
        verbose_name=_("所在机构"),
    )
    position = models.ForeignKey(
        "organisations.Position", null=True, blank=True, on_delete=models.SET_NULL, related_name="holders",
        verbose_name=_("岗位"),
    )
    display_name = models.CharField(_("显示名"), max_length=50, blank=True)
    totp_secret_cipher = models.TextField(_("二次验证密钥（密文）"), blank=True)
    totp_confirmed_at = models.DateTimeField(_("二次验证启用时间"), null=True, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = UserManager()
    scope_fields = {"region": "organisation__region", "organisation": "organisation"}

    class Meta:
        ordering = ["username"]
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name or self.username

    @property
    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())

    @property
    def has_two_factor(self) -> bool:
        return bool(self.totp_confirmed_at)

    @property
    def needs_two_factor(self) -> bool:
        """Administrators and auditors must use TOTP. Asked by the middleware and the API's session check on
        every request: answered once per loaded user (each request loads its own)."""
        if "_needs_two_factor" not in self.__dict__:
            self.__dict__["_needs_two_factor"] = self.is_superuser or self.role_assignments.filter(
                role__requires_two_factor=True).exists()
        return self.__dict__["_needs_two_factor"]

    def forget_access(self) -> None:
        """Drop what this loaded user remembers of its roles (after a role is assigned or revoked)."""
        for memo in ("_needs_two_factor", "_scope_cache", "_role_perm_cache", "_perm_cache"):
            self.__dict__.pop(memo, None)

    def scopes_for(self, permission: str) -> list[tuple[str, str | None]]:
        """(region path, organisation path or None) of each assignment granting `permission`."""
        cache = self.__dict__.setdefault("_scope_cache", {})
        if permission not in cache:
            app_label, codename = permission.split(".", 1)
            assignments = self.role_assignments.filter(
                role__permissions__content_type__app_label=app_label,
                role__permissions__codename=codename,
            ).select_related("region", "organisation")
            cache[permission] = [
                (a.region.path, a.organisation.path if a.organisation_id else None) for a in assignments
            ]
        return cache[permission]


class Role(models.Model):
    """A named set of permissions (actions on record types), granted through scoped assignments."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    permissions = models.ManyToManyField(Permission, blank=True, related_name="bohai_roles", verbose_name=_("权限"))
    requires_two_factor = models.BooleanField(_("必须二次验证"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self):
        return self.name


class RoleAssignment(models.Model):
    """A role held by a user within a region subtree, optionally narrowed to an organisation subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("用户"))
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("角色"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区划范围"))
    organisation = models.ForeignKey(
        "organisations.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("机构范围"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["user", "role"]
        unique_together = [("user", "role", "region", "organisation")]
        verbose_name = _("角色授予")
        verbose_name_plural = _("角色授予")

    def __str__(self):
        scope = self.organisation or self.region
        return f"{self.user} · {self.role} · {scope}"
