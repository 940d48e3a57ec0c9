"""New editions of the reference tables: validated as a whole, applied in one transaction, audited."""
import csv
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from zhijian.accounts.models import AuditEntry
from zhijian.accounts.audit import verify_chain
from zhijian.registry import reference as R
from zhijian.registry.models import Division, Enterprise, Industry, ProductCategory
from zhijian.registry.tests.factories import make_enterprise

pytestmark = pytest.mark.django_db

SHIPPED = R.data_dir() / R.DIVISIONS.filename


def rows_of(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def write(path, rows, fields=("code", "name", "parent_code", "level")):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(fields))
        w.writeheader()
        w.writerows(rows)
    return path


def new_edition(tmp_path):
    """Suzhou's Wujiang district renamed, Gusu district abolished, a new district added."""
    rows = [r for r in rows_of(SHIPPED) if r["code"] != "320508"]
    for r in rows:
        if r["code"] == "320509":
            r["name"] = "吴江新区"
    rows.append({"code": "320599", "name": "苏州新区", "parent_code": "320500", "level": "county"})
    return write(tmp_path / "divisions_2025.csv", rows)


def test_the_shipped_files_live_in_the_project():
    from django.conf import settings

    assert SHIPPED.is_file()
    assert R.data_dir().resolve().is_relative_to(Path(settings.BASE_DIR, "zhijian").resolve())
    for table in R.TABLES.values():
        assert (R.data_dir() / table.filename).is_file()


def test_reloading_the_shipped_editions_changes_nothing():
    before = Division.objects.count(), Industry.objects.count(), ProductCategory.objects.count()
    for table in R.TABLES.values():
        report = R.apply_edition(R.data_dir() / table.filename, abolish=True, dry_run=True)
        assert report.table is table
        assert not report.has_changes, report.lines()
    assert (Division.objects.count(), Industry.objects.count(), ProductCategory.objects.count()) == before


def test_new_edition_adds_renames_and_abolishes_without_deleting(tmp_path):
    ent = make_enterprise(division=Division.objects.get(pk="320508"))
    seq = AuditEntry.objects.count()
    report = R.apply_edition(new_edition(tmp_path))

    assert report.added == [("320599", "苏州新区")]
    assert report.renamed == [("320509", "吴江区", "吴江新区")]
    assert report.abolished == [("320508", "姑苏区")]
    assert Division.objects.get(pk="320599").parent_id == "320500"
    assert Division.objects.get(pk="320509").name == "吴江新区"
    gusu = Division.objects.get(pk="320508")
    assert gusu.active is False
    assert Enterprise.objects.get(pk=ent.pk).division_id == "320508"  # records keep their code

    entries = list(AuditEntry.objects.order_by("seq")[seq:])
    assert len(entries) == 1
    assert entries[0].action == "import" and entries[0].object_type == "registry.division"
    assert entries[0].postchange["abolished"] == [["320508", "姑苏区"]]
    assert entries[0].postchange["sha256"] == report.sha256
    assert verify_chain().ok

    # The shipped edition again: Gusu is in force again, the new district stays until abolished.
    back = R.apply_edition(SHIPPED)
    assert back.restored == [("320508", "姑苏区")]
    assert back.renamed == [("320509", "吴江新区", "吴江区")]
    assert back.abolished == [("320599", "苏州新区")]
    assert Division.objects.get(pk="320508").active is True


def test_a_county_moved_to_another_city_is_reported_as_changed(tmp_path):
    rows = rows_of(SHIPPED)
    for r in rows:
        if r["code"] == "320509":
            r["parent_code"] = "320400"
    report = R.apply_edition(write(tmp_path / "moved.csv", rows))
    assert report.changed == [("320509", ["parent"])]
    assert Division.objects.get(pk="320509").parent_id == "320400"


def test_dry_run_reports_and_writes_nothing(tmp_path):
    seq = AuditEntry.objects.count()
    report = R.apply_edition(new_edition(tmp_path), dry_run=True)
    assert report.counts() == {"added": 1, "renamed": 1, "changed": 0, "abolished": 1, "restored": 0}
    assert not Division.objects.filter(pk="320599").exists()
    assert Division.objects.get(pk="320508").active is True
    assert AuditEntry.objects.count() == seq


def test_bad_rows_are_named_by_line_and_field_and_nothing_is_written(tmp_path):
    rows = rows_of(new_edition(tmp_path))
    rows[4]["level"] = "township"          # line 6
    rows[9]["code"] = "32A500"             # line 11
    rows.append({"code": "320598", "name": "孤岛区", "parent_code": "329900", "level": "county"})
    rows.append(dict(rows[20]))            # a repeated code
    path = write(tmp_path / "bad.csv", rows)
    seq = AuditEntry.objects.count()
    with pytest.raises(R.EditionError) as err:
        R.apply_edition(path)
    found = {(e.row, e.field) for e in err.value.errors}
    n = len(rows) + 1
    assert found == {(6, "level"), (11, "code"), (n - 1, "parent_code"), (n, "code")}
    assert "line 6, level" in str(err.value)
    # Not even the good rows of the edition were applied.
    assert not Division.objects.filter(pk="320599").exists()
    assert Division.objects.get(pk="320509").name == "吴江区"
    assert Division.objects.filter(active=False).count() == 0
    assert AuditEntry.objects.count() == seq


def test_an_unknown_header_names_the_expected_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(R.EditionError) as err:
        R.apply_edition(path)
    assert "matches no reference table" in str(err.value) and "parent_code" in str(err.value)


def test_catalog_edition_keeps_users_categories_and_edited_seasons(tmp_path):
    own = ProductCategory.objects.create(code="SZ-001", name="苏绣制品", group="地方特色")
    kp = ProductCategory.objects.get(code="KP002")
    ProductCategory.objects.filter(pk=kp.pk).update(seasonal_months=[11])
    src = R.data_dir() / R.CATALOG.filename
    rows = rows_of(src)
    first = rows.pop(0)  # seq 2 abolished
    rows[0]["risk_level"] = "高"
    path = write(tmp_path / "catalog.csv", rows, fields=list(first))
    report = R.apply_edition(path)
    assert report.abolished == [("KP002", kp.name)]
    assert report.changed == [(f"KP{int(rows[0]['seq']):03d}", ["risk_class"])]
    assert ProductCategory.objects.get(pk=own.pk).active is True  # not the catalog's row
    R.apply_edition(src)
    kp.refresh_from_db()
    assert kp.active is True and kp.seasonal_months == [11]


def test_command_applies_a_file_and_reports(tmp_path, capsys):
    path = new_edition(tmp_path)
    call_command("load_reference", "--file", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "dry run" in out and "- 320508 姑苏区" in out and "+ 320599 苏州新区" in out
    assert Division.objects.get(pk="320508").active is True
    call_command("load_reference", "--file", str(path))
    assert "edition applied" in capsys.readouterr().out
    assert Division.objects.get(pk="320508").active is False
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.source == "cli"


def test_command_error_names_the_line(tmp_path):
    rows = rows_of(SHIPPED)
    rows[2]["name"] = ""
    with pytest.raises(CommandError, match="line 4, name: required"):
        call_command("load_reference", "--file", str(write(tmp_path / "e.csv", rows)))


def test_reference_folder_override(tmp_path, settings):
    folder = tmp_path / "ref"
    shutil.copytree(R.data_dir(), folder)
    rows = rows_of(folder / R.DIVISIONS.filename)
    rows.append({"code": "320597", "name": "试验区", "parent_code": "320500", "level": "county"})
    write(folder / R.DIVISIONS.filename, rows)
    settings.REFERENCE_DATA_DIR = folder
    R.load_divisions()
    assert Division.objects.filter(pk="320597", active=True).exists()
