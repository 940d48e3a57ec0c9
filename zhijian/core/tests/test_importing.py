"""The import framework's reading, header mapping and column checks (no database)."""
import datetime

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from django.utils import translation
from stdnum.cn import uscc as stdnum_uscc

from zhijian.core.importing import (
    Choice,
    Column,
    Date,
    DecimalColumn,
    ImportFileError,
    Text,
    Uscc,
    Validation,
    map_headers,
    read_table,
)
from zhijian.registry import uscc as gb32100
from zhijian.registry.identifiers import make_uscc

@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


HEADER = "统一社会信用代码,企业名称,行政区划代码\n"
ROW = "{uscc},苏州测试电子有限公司,320505\n"


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding,prefix,expected", [
    ("utf-8", b"", "utf-8"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
    ("gbk", b"", "gb18030"),
    ("gb18030", b"", "gb18030"),
])
def test_encodings_are_detected(tmp_path, encoding, prefix, expected):
    text = HEADER + ROW.format(uscc=make_uscc("320505", 1))
    path = write(tmp_path, "e.csv", prefix + text.encode(encoding))
    table = read_table(path)
    assert table.encoding == expected
    assert table.headers == ["统一社会信用代码", "企业名称", "行政区划代码"]
    assert table.columns[1].to_pylist() == ["苏州测试电子有限公司"]
    assert table.rownums.tolist() == [2]


def test_gbk_file_declared_as_utf8_names_the_line(tmp_path):
    text = "uscc,name,division\n" + ROW.format(uscc=make_uscc("320505", 1))
    path = write(tmp_path, "e.csv", text.encode("gbk"))
    with pytest.raises(ImportFileError) as exc:
        read_table(path, encoding="utf-8")
    assert exc.value.code == "encoding"
    assert exc.value.line == 2
    assert "line 2" in exc.value.message and "UTF-8" in exc.value.message


def test_utf8_file_with_a_gbk_line_names_that_line(tmp_path):
    good = (HEADER + ROW.format(uscc=make_uscc("320505", 1))).encode("utf-8")
    bad = ROW.format(uscc=make_uscc("320505", 2)).encode("gbk")
    path = write(tmp_path, "mixed.csv", good + bad)
    with pytest.raises(ImportFileError) as exc:
        read_table(path)
    assert exc.value.line == 3
    assert "line 3" in exc.value.message


def test_undecodable_bytes_are_a_clear_error(tmp_path):
    path = write(tmp_path, "junk.csv", b"uscc,name\n\xff\xfe\xfa,x\n")
    with pytest.raises(ImportFileError) as exc:
        read_table(path)
    assert exc.value.code == "encoding"
    assert "UTF-8" in exc.value.message and "GB18030" in exc.value.message
    assert exc.value.line == 2


def test_empty_file_and_xls(tmp_path):
    with pytest.raises(ImportFileError) as exc:
        read_table(write(tmp_path, "empty.csv", b"\n \n"))
    assert exc.value.code == "empty"
    with pytest.raises(ImportFileError) as exc:
        read_table(write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0"))
    assert exc.value.code == "format"


# --------------------------------------------------------------------------- row numbers


def test_row_numbers_follow_excel_with_blank_lines_and_multiline_cells(tmp_path):
    text = 'a,b\n1,x\n\n2,"two\nlines"\n3,y\n'
    table = read_table(write(tmp_path, "r.csv", text.encode()))
    assert table.columns[0].to_pylist() == ["1", "", "2", "3"]
    assert table.rownums.tolist() == [2, 3, 4, 5]
    assert table.columns[1].to_pylist()[2] == "two\nlines"


def test_ragged_rows_are_row_errors_with_their_row(tmp_path):
    text = "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12,,\n"
    table = read_table(write(tmp_path, "r.csv", text.encode()))
    assert [(e.row, e.code) for e in table.structural_errors] == [(3, "cells"), (4, "cells")]
    assert table.rownums.tolist() == [2, 5]
    assert table.columns[2].to_pylist() == ["3", "12"]


def test_xlsx_rows_dates_and_numbers(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["a", "b", "c"])
    ws.append([320505, datetime.datetime(2020, 5, 1), 12.5])
    ws.append([None, None, None])
    ws.append(["x", "2021/1/2", 3.0])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    table = read_table(path)
    assert table.encoding == "xlsx"
    assert table.columns[0].to_pylist() == ["320505", "", "x"]
    assert table.columns[1].to_pylist() == ["2020-05-01", "", "2021/1/2"]
    assert table.columns[2].to_pylist() == ["12.5", "", "3"]
    assert table.rownums.tolist() == [2, 3, 4]


# --------------------------------------------------------------------------- headers


COLUMNS = [Column("uscc", "统一社会信用代码", required=True, aliases=("信用代码",)),
           Column("name", "企业名称", required=True),
           Column("registered_capital", "注册资本（万元）"),
           Column("phone", "联系电话")]


def test_headers_map_by_key_chinese_alias_and_export_form():
    headers = ["USCC", "企业名称 (name)", "注册资本(万元)", " 联系电话 "]
    assert map_headers(headers, COLUMNS) == {"uscc": 0, "name": 1, "registered_capital": 2, "phone": 3}
    assert map_headers(["信用代码", "name"], COLUMNS) == {"uscc": 0, "name": 1}


def test_wrong_headers_list_missing_unknown_and_expected():
    with pytest.raises(ImportFileError) as exc:
        map_headers(["统一信用代码", "企业名称", "电话号码"], COLUMNS)
    err = exc.value
    assert err.code == "header" and err.line == 1
    assert err.missing == ["uscc"]
    assert err.unknown == ["统一信用代码", "电话号码"]
    assert err.expected == ["uscc", "name", "registered_capital", "phone"]
    assert "统一社会信用代码 (uscc)" in err.message


def test_a_column_given_twice_is_an_error():
    with pytest.raises(ImportFileError) as exc:
        map_headers(["uscc", "信用代码", "name"], COLUMNS)
    assert "uscc" in exc.value.message


# --------------------------------------------------------------------------- columns


def clean(column, values):
    v = Validation(np.arange(2, len(values) + 2))
    out = column.clean(pa.array(values, pa.string()), v)
    return out, v


@pytest.mark.django_db  # a well-formed failing code is looked up among registered legacy codes
def test_uscc_column_reports_the_check_character():
    good = make_uscc("320505", 42)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    out, v = clean(Uscc("uscc", "统一社会信用代码", required=True),
                   [good, wrong, "", "123", good.lower()])
    assert out.to_pylist() == [good, None, None, None, good]
    errors = sorted(v.errors, key=lambda e: e.row)
    assert [(e.row, e.code) for e in errors] == [(3, "invalid_uscc"), (4, "required"), (5, "invalid_uscc")]
    assert f"should be {good[17]}" in errors[0].reason
    assert "18 characters" in errors[2].reason


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXYIOZSV-a "


_PAIRS = [(a, c) for a, (_n, cats) in gb32100.AUTHORITIES.items() for c in cats]
_valid_codes = st.builds(
    lambda d, pair, body: make_uscc(d, authority=pair[0], kind=pair[1], body=body),
    st.sampled_from(["320505", "110101", "440300", "100000", "820000"]), st.sampled_from(_PAIRS),
    st.text(alphabet=gb32100.CHARSET, min_size=8, max_size=8))


def _damaged(code, pos, char):
    return code[:pos] + char + code[pos + 1:]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.text(alphabet=USCC_CHARS, min_size=16, max_size=20),
    st.builds(lambda d, n: make_uscc(d, n), st.sampled_from(["320505", "110101", "440300"]),
              st.integers(0, 10**8 - 1)),
    _valid_codes,
    st.builds(_damaged, _valid_codes, st.integers(0, 17), st.sampled_from(USCC_CHARS)),
), min_size=1, max_size=30))
def test_vectorised_uscc_check_equals_the_validator(codes):
    compacted = Uscc.compact(pa.array(codes, pa.string()))
    mask = Uscc.valid_mask(compacted)
    assert mask.tolist() == [gb32100.is_valid(c) for c in codes]


@settings(max_examples=200, deadline=None)
@given(st.builds(lambda d, n: make_uscc(d, n), st.sampled_from(["320505", "110101", "440300"]),
                 st.integers(0, 10**8 - 1)))
def test_digit_only_codes_agree_with_stdnum(code):
    """python-stdnum as an independent check of the final check character (it knows only
    codes whose characters 1-8 are digits)."""
    assert stdnum_uscc.is_valid(code)
    assert gb32100.check_character(code[:17]) == stdnum_uscc.calc_check_digit(code[:17])


def test_dates_in_the_accepted_forms():
    out, v = clean(Date("d", "日期"), ["2024-01-05", "2024/1/5", "2024年1月5日", "20240105",
                                       "45296", "2024-02-30", "5.1.2024", ""])
    d = datetime.date(2024, 1, 5)
    assert out.to_pylist() == [d, d, d, d, d, None, None, None]
    assert [(e.row, e.value) for e in v.errors] == [(7, "2024-02-30"), (8, "5.1.2024")]


def test_decimal_and_choice_and_text():
    out, v = clean(DecimalColumn("c", "资本", max_digits=6, decimal_places=2),
                   ["1,234.5", "12345", "1.505", "-1", "1.500", ""])
    assert out.to_pylist() == ["1234.5", None, None, None, "1.500", None]
    assert [e.row for e in v.errors] == [3, 4, 5]
    out, v = clean(Choice("s", "规模", choices={"large": ("大型",), "small": ("小型",)}),
                   ["大型", "SMALL", "huge", ""])
    assert out.to_pylist() == ["large", "small", "", ""]  # bad rows are never written
    assert [e.row for e in v.errors] == [4]
    out, v = clean(Text("t", "名称", max_length=3, required=True), ["abc", "abcd", ""])
    assert sorted((e.row, e.code) for e in v.errors) == [(3, "too_long"), (4, "required")]
