"""The repository stands alone: nothing reads reference files from outside it."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"\.\./" + "shared|" + "shared/(data|law|seed)")  # split: this file is checked too


def test_no_code_reads_files_beside_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    offenders = []
    for name in files:
        if not name.endswith((".py", ".sh", ".toml", ".cfg", ".ini", ".yaml", ".yml")) \
                and name not in ("Makefile", ".ci/run"):
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        if name == ".ci/run":  # it only names the folder it proves absent
            text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
        offenders += [f"{name}: {m.group()}" for m in OUTSIDE.finditer(text)]
    assert not offenders, offenders


def test_reference_files_ship_inside_the_package():
    from django.conf import settings

    folder = Path(settings.REFERENCE_DATA_DIR).resolve()
    assert ROOT in folder.parents
    for name in ("divisions_gbt2260_2024.csv", "industries_gbt4754_2017.csv",
                 "key_industrial_products_catalog.csv", "README.md"):
        assert (folder / name).is_file(), name
