"""Workbench pages of the identity registers: lists and details within scope, registration,
and the audited reveal of personal data."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bohai.kernel.crypto.fields import blind_index
from bohai.kernel.pages.access import staff_required

from . import actions
from .forms import LegalEntityForm, PersonForm, RevealForm
from .models import LegalEntity, Person

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _region_filter(request) -> Q:
    key = request.GET.get("region", "").strip()
    return Q(region__path__contains=f"/{key}/") if key else Q()


@staff_required
def person_list(request):
    persons = Person.objects.restrict(request.user, "view").select_related("region").filter(_region_filter(request))
    query = request.GET.get("q", "").strip()
    if len(query) == 18:
        persons = persons.filter(id_number_index=blind_index(query.upper()))
    elif query:
        persons = persons.filter(name__contains=query)
    return render(request, "identities/person_list.html", {"page": _page(request, persons), "query": query})


@staff_required
def person_detail(request, pk: int):
    person = Person.objects.select_related("region").get_in_scope(request.user, "view", pk=pk)
    return render(request, "identities/person_detail.html", {
        "person": person, "reveal_form": RevealForm(),
        "may_reveal": request.user.has_perm("identities.unmask_person"),
        "may_change": Person.objects.restrict(request.user, "change").filter(pk=pk).exists(),
    })


@staff_required
@require_POST
def person_reveal(request, pk: int):
    person = Person.objects.get_in_scope(request.user, "view", pk=pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render(request, "identities/person_revealed.html", {"form": form, "person": person})
    try:
        revealed = actions.reveal_person(person, actor=request.user, reason=form.cleaned_data["reason"])
    except PermissionDenied as error:
        return render(request, "identities/person_revealed.html", {"denied": str(error), "person": person}, status=403)
    return render(request, "identities/person_revealed.html", {"revealed": revealed, "person": person})


@staff_required
def person_create(request):
    return _registration_page(request, PersonForm, actions.register_person, Person,
                              detail="identities:person_detail", title=_("登记自然人"))


def _registration_page(request, form_class, register, model, *, detail: str, title: str):
    """The form, the action, and back to the form with field errors or on to the new record."""
    if not request.user.has_perm(f"identities.add_{model._meta.model_name}"):
        raise PermissionDenied
    form = form_class(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        created = _register(form, lambda data: register(actor=request.user, **data), request.user, model)
        if created is not None:
            messages.success(request, _("已登记：%(record)s") % {"record": created})
            return redirect(detail, pk=created.pk)
    return render(request, "identities/record_form.html", {"form": form, "title": title})


def _register(form, register, user, model):
    """Run the action; field errors go back to the form; a record outside the scope is rolled back."""
    try:
        with transaction.atomic():
            record = register(dict(form.cleaned_data))
            if not model.objects.restrict(user, "add").filter(pk=record.pk).exists():
                raise ValidationError({"region": [_("所属区划不在您的权限范围内")]})
            return record
    except ValidationError as error:
        _add_errors(form, error)
    except PermissionDenied as error:
        form.add_error(None, str(error))
    return None


def _add_errors(form, error: ValidationError) -> None:
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


@staff_required
def legal_entity_list(request):
    entities = LegalEntity.objects.restrict(request.user, "view").select_related("region").filter(_region_filter(request))
    query = request.GET.get("q", "").strip()
    if query:
        entities = entities.filter(Q(name__contains=query) | Q(credit_code=query.upper()))
    return render(request, "identities/legal_entity_list.html", {"page": _page(request, entities), "query": query})


@staff_required
def legal_entity_detail(request, pk: int):
    entity = LegalEntity.objects.select_related("region").get_in_scope(request.user, "view", pk=pk)
    return render(request, "identities/legal_entity_detail.html", {"entity": entity})


@staff_required
def legal_entity_create(request):
    return _registration_page(request, LegalEntityForm, actions.register_legal_entity, LegalEntity,
                              detail="identities:legal_entity_detail", title=_("登记法人"))
