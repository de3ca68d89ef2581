from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredFile(models.Model):
    """One uploaded content, kept once under its SM3 digest however many owners point to it.

    The bytes live on disk (storage.py), named by the digest; this row says what they are.
    Owning records (an application's materials, a case's photos) refer to it by foreign key
    and decide who may read it: a stored file has no public address.
    """

    digest = models.CharField(_("内容摘要（SM3）"), max_length=64, unique=True)
    size = models.BigIntegerField(_("大小（字节）"))
    kind = models.CharField(_("类型"), max_length=16)
    content_type = models.CharField(_("内容类型"), max_length=100)
    original_name = models.CharField(_("原文件名"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("文件")
        verbose_name_plural = _("文件")

    def __str__(self):
        return f"{self.original_name} ({self.digest[:12]})"
