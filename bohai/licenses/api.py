"""The licence library over the API: scoped lists and details, status changes, the holder's own
licences, the audited query by holder, and the public verification."""
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from bohai.kernel.api.paging import PageNumbers, apply_ordering

from . import actions, queries
from .models import License
from .pdf import license_pdf, pdf_filename
from .throttling import VerificationThrottle
from .verification import public_holder_name, verify_license

router = Router()

LICENSE_ORDERING = {"id", "number", "issue_date", "valid_until", "status"}


class LicenseOut(Schema):
    id: int
    identifier: str
    number: str
    name: str
    type_code: str = Field(alias="license_type.code")
    type_version: int
    agency_name: str
    agency_code: str
    division_code: str
    issue_date: date
    valid_from: date
    valid_until: date | None
    holder_name: str
    holder_id_type: str
    holder_id_masked: str
    service_item_code: str
    application_number: str
    extension: dict
    status: str
    status_label: str = Field(alias="get_status_display")
    status_reason: str
    key_id: str = Field(alias="signing_key_id")
    payload_digest: str
    signature: str
    signed_at: datetime


class LicenseTypeOut(Schema):
    code: str
    name: str
    issuing_function: str
    holder_kind: str
    validity_years: int | None
    fields: list[dict]
    version: int


class LicenseFilter(Schema):
    type: str | None = Field(None, description="证照类型代码，如 business_licence")
    status: str | None = Field(None, description="状态代码：01 有效、02 暂扣、03 撤销、04 注销、05 过期 …")
    holder_id_number: str | None = Field(None, description="持证主体证件号码，精确查找（盲索引；记入审计）")


class HolderQuery(Schema):
    id_number: str = Field(description="持证主体的公民身份号码或统一社会信用代码")
    purpose: str = Field("", max_length=200, description="查询目的，写入审计记录")
    valid_only: bool = Field(False, description="只返回当前有效的证照")


class ReasonIn(Schema):
    reason: str = Field(max_length=200, description="原因，写入审计记录")


class PublicLicenseOut(Schema):
    name: str
    type_code: str
    holder_name: str = Field(description="自然人姓名部分隐藏")
    agency_name: str
    issue_date: date
    valid_from: date
    valid_until: date | None
    status: str
    status_label: str


class VerificationOut(Schema):
    number: str
    verdict: str = Field(description="valid / not_yet_valid / expired / seized / revoked / cancelled / transferred / "
                                     "revoked_by_penalty / other / tampered / unknown")
    verdict_label: str
    explanation: str
    license: PublicLicenseOut | None


def _filtered(licenses, filters: LicenseFilter):
    if filters.type:
        licenses = licenses.filter(license_type__code=filters.type)
    if filters.status:
        licenses = licenses.filter(status=filters.status)
    return licenses


@router.get("/verify/{number}", auth=None, throttle=[VerificationThrottle()], response=VerificationOut,
            summary="核验电子证照（公开，无需登录，按来源地址限流）")
def verify_license_public(request, number: str):
    result = verify_license(number)
    license = result.license if result.is_trusted else None
    return {
        "number": result.number, "verdict": result.verdict, "verdict_label": result.label,
        "explanation": result.explanation,
        "license": None if license is None else {
            "name": license.name, "type_code": license.license_type.code, "holder_name": public_holder_name(license),
            "agency_name": license.agency_name, "issue_date": license.issue_date, "valid_from": license.valid_from,
            "valid_until": license.valid_until, "status": license.status, "status_label": license.get_status_display(),
        },
    }


@router.get("/types", response=list[LicenseTypeOut], summary="证照类型")
def list_license_types(request):
    return queries.license_types()


@router.get("/mine", response=list[LicenseOut], summary="我持有的电子证照（本人及所代办的企业）")
@paginate(PageNumbers)
def my_licenses(request):
    return License.objects.filter(queries.held_by(request.auth)).select_related("license_type")


@router.get("/by-holder", response=list[LicenseOut], summary="按持证主体查询证照（限权限范围，记入审计）")
@paginate(PageNumbers)
def licenses_by_holder(request, query: Query[HolderQuery]):
    found = queries.licenses_of_holder(id_number=query.id_number, purpose=query.purpose, actor=request.auth)
    if query.valid_only:
        found = found.filter(queries.valid_today())
    return found.select_related("license_type")


@router.get("", response=list[LicenseOut], summary="电子证照列表（限权限范围）")
@paginate(PageNumbers)
def list_licenses(request, filters: Query[LicenseFilter], ordering: str | None = None):
    if filters.holder_id_number:
        licenses = queries.licenses_of_holder(id_number=filters.holder_id_number, actor=request.auth)
    else:
        licenses = License.objects.restrict(request.auth, "view")
    return apply_ordering(_filtered(licenses, filters).select_related("license_type"), ordering, LICENSE_ORDERING)


@router.get("/{license_id}", response=LicenseOut, summary="电子证照详情")
def get_license(request, license_id: int):
    return License.objects.select_related("license_type").get_in_scope(request.auth, "view", pk=license_id)


@router.get("/{license_id}/pdf", summary="电子证照 PDF", response={200: None})
def get_license_pdf(request, license_id: int):
    license = License.objects.select_related("license_type").get_in_scope(request.auth, "view", pk=license_id)
    response = HttpResponse(license_pdf(license), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(license)}"'
    return response


def _change_status(request, license_id: int, action, reason: str):
    if not request.auth.has_perm("licenses.change_license"):
        raise PermissionDenied(_("没有变更证照状态的权限"))
    license = License.objects.get_in_scope(request.auth, "change", pk=license_id)
    return action(license, reason=reason, actor=request.auth)


@router.post("/{license_id}/revoke", response=LicenseOut, summary="撤销证照（03，记入审计）")
def revoke_license(request, license_id: int, payload: ReasonIn):
    return _change_status(request, license_id, actions.revoke_license, payload.reason)


@router.post("/{license_id}/suspend", response=LicenseOut, summary="暂扣证照（02，记入审计）")
def suspend_license(request, license_id: int, payload: ReasonIn):
    return _change_status(request, license_id, actions.suspend_license, payload.reason)


@router.post("/{license_id}/restore", response=LicenseOut, summary="恢复证照（由暂扣恢复为有效，记入审计）")
def restore_license(request, license_id: int, payload: ReasonIn):
    return _change_status(request, license_id, actions.restore_license, payload.reason)


@router.post("/{license_id}/cancel", response=LicenseOut, summary="注销证照（04，记入审计）")
def cancel_license(request, license_id: int, payload: ReasonIn):
    return _change_status(request, license_id, actions.cancel_license, payload.reason)
