"""Bulk import of lots and movements: row errors naming row and column, all or nothing, scope."""
import pytest

from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.recall.importers import LotImporter, MovementImporter
from zhijian.recall.models import Lot, Movement
from zhijian.registry.tests.factories import make_enterprise

pytestmark = pytest.mark.django_db


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_lots_then_movements(tmp_path, make_user):
    p, d = make_enterprise("320505"), make_enterprise("320506")
    officer = make_user(S.ROLE_OFFICER, "320500")
    lots = write(tmp_path, "lots.csv", "持有方统一社会信用代码,批次号,描述,数量,单位,生产日期\n"
                 f"{p.uscc},B1,移动电源,800,个,2026-03-02\n{p.uscc},C1,电芯,1000,个,2026/3/1\n"
                 f"{d.uscc},D1,移动电源,500,个,\n")
    result = LotImporter(user=officer).run(lots)
    assert result.ok, result.errors
    assert Lot.objects.count() == 3 and Lot.objects.get(code="B1").quantity == 800
    assert AuditEntry.objects.filter(action="import", object_type="recall.lot").count() == 1
    moves = write(tmp_path, "moves.csv", "发出方统一社会信用代码,发出批次号,接收方统一社会信用代码,接收批次号,类型,数量,日期\n"
                  f"{p.uscc},C1,{p.uscc},B1,投料,1000,2026-03-02\n{p.uscc},B1,{d.uscc},D1,发货,500,2026-03-05\n")
    result = MovementImporter(user=officer).run(moves)
    assert result.ok, result.errors
    assert Movement.objects.filter(source__code="B1", target__code="D1", kind="shipment").exists()
    assert Movement.objects.filter(source__code="C1", target__code="B1", kind="input").exists()


def test_bad_rows_name_row_and_column_and_write_nothing(tmp_path, make_user):
    p, d = make_enterprise("320505"), make_enterprise("320506")
    officer = make_user(S.ROLE_OFFICER, "320500")
    Lot.objects.create(operator=p, code="B1", quantity=10)
    Lot.objects.create(operator=d, code="D1", quantity=10)
    moves = write(tmp_path, "moves.csv", "发出方统一社会信用代码,发出批次号,接收方统一社会信用代码,接收批次号,类型,数量\n"
                  f"{p.uscc},B1,{d.uscc},D1,发货,5\n"
                  f"{p.uscc},B9,{d.uscc},D1,发货,5\n"
                  f"{p.uscc},B1,{d.uscc},D1,投料,5\n"
                  f"{p.uscc},B1,{d.uscc},D1,飞走,x\n")
    result = MovementImporter(user=officer).run(moves)
    assert not result.ok
    got = {(e.row, e.field) for e in result.errors}
    assert got == {(3, "source_code"), (4, "kind"), (5, "kind"), (5, "quantity")}
    assert Movement.objects.count() == 0
    lots = write(tmp_path, "lots.csv", "持有方统一社会信用代码,批次号,数量\n"
                 f"{p.uscc},B2,1\n{p.uscc},B2,2\n{p.uscc},B1,3\n")
    result = LotImporter(user=officer).run(lots)
    assert {(e.row, e.field, e.code) for e in result.errors} == {(3, "operator", "duplicate"), (4, "operator", "exists")}
    assert Lot.objects.count() == 2


def test_an_enterprise_imports_only_its_own_rows(tmp_path, make_user):
    p, d = make_enterprise("320505"), make_enterprise("320506")
    user = make_user(S.ROLE_ENTERPRISE, enterprise=p)
    lots = write(tmp_path, "lots.csv", "持有方统一社会信用代码,批次号\n"
                 f"{p.uscc},OWN1\n{d.uscc},OTHER1\n")
    result = LotImporter(user=user).run(lots)
    assert [(e.row, e.field, e.code) for e in result.errors] == [(3, "operator", "scope")]
    assert not Lot.objects.exists()
    nanjing = make_user(S.ROLE_OFFICER, "320100")
    result = LotImporter(user=nanjing).run(write(tmp_path, "l2.csv", f"持有方统一社会信用代码,批次号\n{p.uscc},X\n"))
    assert [(e.row, e.code) for e in result.errors] == [(2, "scope")]


def test_the_import_page_and_template(make_user):
    from django.test import Client
    from django.urls import reverse

    officer = make_user(S.ROLE_OFFICER, "320500")
    c = Client()
    c.force_login(officer)
    page = c.get(reverse("recall:lot_list"))
    assert reverse("recall:lot_import") in page.content.decode()
    assert c.get(reverse("recall:movement_import")).status_code == 200
    template = c.get(reverse("recall:import_template", args=["movements", "csv"]))
    assert template.status_code == 200 and "发出批次号" in template.content.decode("utf-8-sig")
    inspector = make_user(S.ROLE_INSPECTOR, "320500")
    c.force_login(inspector)
    assert c.get(reverse("recall:lot_import")).status_code == 403
