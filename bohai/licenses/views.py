"""Pages of the licence library: public verification, the holder's wallet (portal) and the staff
list and detail with status changes (workbench)."""
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from bohai.kernel.audit.models import AuditRecord
from bohai.kernel.identities import validators
from bohai.kernel.pages.access import staff_required

from . import actions, queries, throttling
from .forms import StatusChangeForm, VerifyForm, changes_allowed_from
from .models import License, LicenseStatus, LicenseType
from .pdf import license_pdf, license_rows, pdf_filename, verification_url
from .verification import is_intact, public_holder_name, verify_license

PAGE_SIZE = 50
STATUS_ACTIONS = {
    "suspend": actions.suspend_license, "restore": actions.restore_license,
    "revoke": actions.revoke_license, "cancel": actions.cancel_license,
    "revoke_by_penalty": actions.revoke_license_by_penalty, "transfer_out": actions.transfer_license_out,
}


# Public verification --------------------------------------------------------------------------------

def verify_form(request):
    form = VerifyForm(request.GET or None)
    if form.is_valid():
        return redirect("licenses:verify", number=form.cleaned_data["number"].strip())
    return render(request, "licenses/verify.html", {"form": form})


def verify(request, number: str):
    if not throttling.allowed(request):
        return render(request, "licenses/verify.html", {"form": VerifyForm(), "throttled": True}, status=429)
    result = verify_license(number)
    return render(request, "licenses/verify.html", {
        "form": VerifyForm(initial={"number": result.number}), "result": result,
        "holder_name": public_holder_name(result.license) if result.is_trusted else "",
    })


# The holder's wallet -----------------------------------------------------------------------------

@login_required
def wallet(request):
    held = License.objects.filter(queries.held_by(request.user)).select_related("license_type").order_by("license_type__code", "-issue_date")
    mine = [lic for lic in held if lic.holder_person_id]
    entity = [lic for lic in held if lic.holder_entity_id]
    return render(request, "licenses/wallet.html", {"personal": mine, "organisation": entity})


def _held_license(request, number: str) -> License:
    license = (License.objects.filter(queries.held_by(request.user), number=number)
               .select_related("license_type", "signing_key").first())
    if license is None:
        raise Http404
    return license


@login_required
def wallet_detail(request, number: str):
    license = _held_license(request, number)
    return render(request, "licenses/wallet_detail.html", {
        "license": license, "rows": license_rows(license), "verify_url": verification_url(license.number),
        "verdict": verify_license(license.number),
    })


@login_required
def wallet_pdf(request, number: str):
    return _pdf_response(_held_license(request, number))


def _pdf_response(license: License) -> HttpResponse:
    response = HttpResponse(license_pdf(license), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf_filename(license)}"'
    return response


# Workbench -----------------------------------------------------------------------------------------

@staff_required
def staff_list(request):
    licenses = License.objects.restrict(request.user, "view").select_related("license_type")
    query = request.GET.get("q", "").strip()
    if looks_like_identity_number(query):  # a lookup by personal data, audited
        licenses = queries.licenses_of_holder(id_number=query, actor=request.user,
                                              purpose=_("工作台证照查询")).select_related("license_type")
    elif query:
        licenses = licenses.filter(Q(number=query.upper()) | Q(holder_name__contains=query))
    licenses = _filtered(licenses, request.GET)
    return render(request, "licenses/staff_list.html", {
        "page": Paginator(licenses, PAGE_SIZE).get_page(request.GET.get("page")), "query": query,
        "types": LicenseType.objects.order_by("code"), "statuses": LicenseStatus.choices,
        "chosen_type": request.GET.get("type", ""), "chosen_status": request.GET.get("status", ""),
    })


def looks_like_identity_number(text: str) -> bool:
    """A resident identity number or a unified social credit code (an 18-character JY… licence number is neither)."""
    for validate in (validators.validate_resident_id, validators.validate_credit_code):
        try:
            validate(text)
            return True
        except validators.IdentityValidationError:
            continue
    return False


def _filtered(licenses, params):
    if params.get("type"):
        licenses = licenses.filter(license_type__code=params["type"])
    if params.get("status"):
        licenses = licenses.filter(status=params["status"])
    return licenses


@staff_required
def staff_detail(request, pk: int):
    license = License.objects.select_related("license_type", "signing_key", "issuing_organisation").get_in_scope(
        request.user, "view", pk=pk)
    return _detail_page(request, license, StatusChangeForm(status=license.status))


def _detail_page(request, license: License, form, status: int = 200):
    may_change = (request.user.has_perm("licenses.change_license")
                  and License.objects.restrict(request.user, "change").filter(pk=license.pk).exists())
    return render(request, "licenses/staff_detail.html", {
        "license": license, "rows": license_rows(license), "intact": is_intact(license), "form": form,
        "may_change": may_change and bool(changes_allowed_from(license.status)), "history": history_of(license),
    }, status=status)


@dataclass(frozen=True)
class HistoryEntry:
    label: str
    actor: str
    at: datetime
    reason: str


def history_of(license: License, limit: int = 20) -> list[HistoryEntry]:
    """The licence's own audit records, in words (expiry is recorded per batch and not listed here)."""
    records = (AuditRecord.objects.filter(target_type="licenses.license", target_id=str(license.pk))
               .order_by("-created_at")[:limit])
    return [HistoryEntry(str(HISTORY_LABELS.get(r.action.rsplit(".", 1)[-1], r.action)), r.actor_label, r.created_at,
                         (r.after or {}).get("status_reason", "")) for r in records]


HISTORY_LABELS = {"issue": gettext_lazy("颁发"), **actions.CHANGE_LABELS}


@staff_required
@require_POST
def staff_change_status(request, pk: int):
    license = License.objects.select_related("license_type", "signing_key").get_in_scope(request.user, "change", pk=pk)
    form = StatusChangeForm(request.POST, status=license.status)
    if not form.is_valid():
        return _detail_page(request, license, form, status=422)
    change = form.cleaned_data["change"]
    try:
        STATUS_ACTIONS[change](license, reason=form.cleaned_data["reason"], actor=request.user)
    except ValidationError as error:
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
        return _detail_page(request, license, form, status=422)
    messages.success(request, _("已%(change)s：%(license)s") % {"change": actions.CHANGE_LABELS[change], "license": license})
    return redirect("licenses:staff_detail", pk=license.pk)


@staff_required
def staff_pdf(request, pk: int):
    return _pdf_response(License.objects.select_related("license_type").get_in_scope(request.user, "view", pk=pk))
