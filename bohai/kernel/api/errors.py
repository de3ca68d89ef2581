"""One error format for every endpoint: {"code", "message", "fields": {field: [messages]}}."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from bohai.kernel.audit.service import Conflict


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}}


def _ninja_field(loc) -> str:
    # ninja reports ("body", "payload", "id_number"); clients know the field as "id_number".
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "payload", "file", "data")]
    return ".".join(parts) or "__all__"


def _ninja_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return _("必填")
    if kind.startswith(("int", "float", "decimal")):
        return _("应为数字")
    if kind.startswith(("date", "datetime")):
        return _("日期格式不正确，应为 YYYY-MM-DD")
    if kind.startswith("string_too_long"):
        return _("过长")
    return error.get("msg", _("格式不正确"))


def install_handlers(api) -> None:
    @api.exception_handler(NinjaValidationError)
    def on_schema_error(request, exc):
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            fields.setdefault(_ninja_field(error.get("loc", ())), []).append(_ninja_message(error))
        return api.create_response(request, error_body("invalid", _("提交的数据有误"), fields), status=422)

    @api.exception_handler(ValidationError)
    def on_domain_error(request, exc):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return api.create_response(request, error_body("invalid", _("提交的数据有误"), fields), status=422)

    @api.exception_handler(Conflict)
    def on_conflict(request, exc):
        return api.create_response(request, error_body("conflict", str(exc) or _("记录已被他人修改，请刷新后重试")), status=409)

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return api.create_response(request, error_body("not_found", _("对象不存在或不在您的权限范围内")), status=404)

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request, exc):
        return api.create_response(request, error_body("forbidden", str(exc) or _("没有执行此操作的权限")), status=403)

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request, exc):
        return api.create_response(request, error_body("unauthenticated", _("请先登录或提供有效的接口密钥")), status=401)

    @api.exception_handler(Throttled)
    def on_throttled(request, exc):
        return api.create_response(request, error_body("rate_limited", _("请求过于频繁，请稍后再试")), status=429)

    @api.exception_handler(HttpError)
    def on_http_error(request, exc):
        code = {429: "rate_limited", 413: "too_large", 409: "conflict", 400: "bad_request"}.get(exc.status_code, "error")
        return api.create_response(request, error_body(code, exc.message), status=exc.status_code)
