"""first_joined() gives the instances the ORM gives for the same rows."""
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from bohai.kernel.accounts import actions as account_actions
from bohai.kernel.api.actions import issue_api_key, revoke_api_key
from bohai.kernel.api.models import ApiKey
from bohai.kernel.database.reads import columns, first_joined
from bohai.testing.fixtures import organisation_in

pytestmark = pytest.mark.django_db


def statement() -> str:
    user_table = connection.ops.quote_name(get_user_model()._meta.db_table)
    return (f"SELECT {columns(ApiKey, 'k')}, {columns(get_user_model(), 'u')} FROM {connection.ops.quote_name(ApiKey._meta.db_table)} k "
            f"JOIN {user_table} u ON u.id = k.account_id WHERE k.prefix = %s")


def test_the_instances_are_those_the_orm_reads(cangzhou):
    account = account_actions.create_staff_account(actor="test", username="app", password="Test-pass-2026!",
                                                   organisation=organisation_in(cangzhou["city"], "grid_command"))
    issue_api_key(actor="test", name="应用", account=account)
    stored = ApiKey.objects.select_related("account").get()
    revoke_api_key(stored, actor="test")  # a datetime that SQLite keeps as text
    stored = ApiKey.objects.select_related("account").get()
    key, user = first_joined(statement(), [stored.prefix], (ApiKey, get_user_model()))
    for field in ApiKey._meta.concrete_fields:
        assert getattr(key, field.attname) == getattr(stored, field.attname), field.name
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(stored.account, field.attname), field.name
    assert isinstance(key.revoked_at, datetime) and user.is_active is True
    assert not key._state.adding and key._state.db == "default"


def test_no_row_is_none(db):
    assert first_joined(statement(), ["missing"], (ApiKey, get_user_model())) is None
