"""GB 32100-2015 by the standard itself: every authority, every part, named errors."""
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum.cn import uscc as stdnum_uscc

from zhijian.registry import uscc
from zhijian.registry.identifiers import make_uscc


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# Codes as printed on business licences (published, e.g. in hutool's tests and on the licences
# of large companies); each passes GB 32100, and python-stdnum agrees (all are 9x codes).
PUBLISHED = ["914403001922038216", "91330100799655058B", "91440300708461136T",
             "9144030071526726XG", "91110108551385082Q", "91310115591693856A", "91310110666007217T"]

# Real-format codes of every registration authority: (authority, category, division, body).
EVERY_AUTHORITY = [
    ("1", "1", "320500", "01400016"),       # 机构编制 / 机关
    ("1", "2", "320583", "46601234"),        # 机构编制 / 事业单位
    ("1", "3", "100000", "50001357"),        # 中央编办直接管理机构编制的群众团体, national level
    ("2", "1", "110000", "MB1A2B3C"),        # 外交 / 外国常住新闻机构
    ("3", "1", "320505", "MD012345"),        # 司法行政 / 律师执业机构
    ("3", "2", "320506", "42601234"),        # 公证处
    ("3", "5", "320500", "MB0F1234"),        # 仲裁委员会
    ("4", "1", "310000", "MC2345AB"),        # 文化 / 外国在华文化中心
    ("5", "1", "320500", "50987654"),        # 民政 / 社会团体
    ("5", "2", "320505", "MJ1234AB"),        # 民办非企业单位
    ("5", "3", "320000", "MJ5678CD"),        # 基金会
    ("6", "2", "440300", "MD1234EF"),        # 旅游 / 港澳台地区旅游部门常驻内地（大陆）代表机构
    ("7", "1", "320583", "MF0K1234"),        # 宗教 / 宗教活动场所
    ("8", "1", "320505", "MC0123RT"),        # 工会 / 基层工会
    ("9", "1", "320505", "MA1XW7T5"),        # 工商 / 企业
    ("9", "2", "320583", "L1234567"),        # 个体工商户
    ("9", "3", "320581", "MA1N2P3Q"),        # 农民专业合作社
    ("A", "1", "110000", "MB0U1234"),        # 中央军委改革和编制办公室 / 军队事业单位
    ("A", "9", "320500", "MB0W5678"),
    ("N", "1", "320583", "N1234567"),        # 农业 / 组级集体经济组织
    ("N", "2", "320583", "N2345678"),        # 村级集体经济组织
    ("N", "3", "320505", "MF1234GH"),        # 乡镇级集体经济组织
    ("Y", "1", "820000", "MY1234JK"),        # 其他, division of Macao
]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    info = uscc.parse(code)
    assert info.valid, info.messages
    assert stdnum_uscc.is_valid(code)
    assert (info.authority, info.authority_name, info.category_name) == ("9", "工商", "企业")


@pytest.mark.parametrize("authority,category,division,body", EVERY_AUTHORITY)
def test_codes_of_every_authority_are_valid(authority, category, division, body):
    code = make_uscc(division, authority=authority, kind=category, body=body)
    info = uscc.parse(code)
    assert info.valid, info.messages
    assert (info.authority, info.category, info.division, info.org_code) == (
        authority, category, division, code[8:17])
    assert info.authority_name == uscc.AUTHORITIES[authority][0]
    assert info.category_name == uscc.AUTHORITIES[authority][1][category]
    assert uscc.validate(code.lower()) == code  # compacted: case folded


def test_every_authority_of_the_table_is_covered():
    assert {a for a, *_ in EVERY_AUTHORITY} == set(uscc.AUTHORITIES) == set("123456789ANY")


def test_python_stdnum_rejects_the_letter_authorities_we_accept():
    """Why the project has its own validator: stdnum wants characters 1-8 to be digits."""
    for authority in "ANY":
        code = make_uscc("320583", authority=authority, kind="1", body="MB0U1234")
        assert uscc.is_valid(code) and not stdnum_uscc.is_valid(code)


def test_the_final_check_agrees_with_stdnum_on_digit_codes():
    for serial in (0, 1, 42, 99_999_999, 12_345_678):
        code = make_uscc("320505", serial)
        assert uscc.check_character(code[:17]) == stdnum_uscc.calc_check_digit(code[:17])
        assert stdnum_uscc.is_valid(code)


def test_org_code_check_of_gb_11714():
    # 11 - (sum mod 11); 10 -> X, 11 -> 0; letters count 10-35 (full alphabet).
    assert uscc.org_check_character("00000000") == "0"
    assert uscc.org_check_character("10000000") == "8"
    assert uscc.org_check_character("M0000XUF") == "4"  # the pilot code's organisation code is fine
    assert uscc.org_check_character("00000002") == "7"
    assert any(uscc.org_check_character(f"{n:08d}") == "X" for n in range(20))


def errors_of(code):
    return [(e.part, e.message) for e in uscc.parse(code).errors]


def with_check(first17):
    return first17 + uscc.check_character(first17)


def test_wrong_authority_is_named():
    code = with_check("B1320505" + "MA1XW7T5" + uscc.org_check_character("MA1XW7T5"))
    assert errors_of(code) == [("authority", "Position 1, the registration-authority code 'B', is not valid.")]


@pytest.mark.parametrize("pair", ["94", "Y2", "A3", "N4", "22", "14", "99"])
def test_category_not_valid_for_the_authority(pair):
    code = with_check(pair + "320505" + "MA1XW7T5" + uscc.org_check_character("MA1XW7T5"))
    [(part, message)] = errors_of(code)
    assert part == "category"
    assert f"category code '{pair[1]}', is not valid for registration authority {pair[0]}" in message


@pytest.mark.parametrize("division", ["32A505", "990000", "000000", "100100"])
def test_division_digits_and_province(division):
    code = with_check("91" + division + "12345678" + uscc.org_check_character("12345678"))
    assert [p for p, _m in errors_of(code)] == ["division"]


def test_a_division_that_no_longer_exists_is_accepted():
    # 320502 (苏州市沧浪区) was merged into 姑苏区 in 2012; codes issued there stay valid.
    assert uscc.is_valid(make_uscc("320502", 1234))
    assert uscc.is_valid(make_uscc("100000", 1234, authority="1", kind="1"))


def test_wrong_org_code_check_is_named():
    good = make_uscc("320505", body="MA1XW7T5")
    wrong_org = good[:16] + ("0" if good[16] != "0" else "1")
    code = with_check(wrong_org[:17])
    [(part, message)] = errors_of(code)
    assert part == "org_code"
    assert f"should be {good[16]}, not {wrong_org[16]} (GB 11714)" in message


def test_wrong_final_check_is_named():
    good = make_uscc("320505", body="MA1XW7T5")
    code = good[:17] + ("0" if good[17] != "0" else "1")
    assert errors_of(code) == [("check", f"The check character (position 18) should be {good[17]}, "
                                         f"not {code[17]}.")]


@pytest.mark.parametrize("char", list("IOZSV"))
def test_forbidden_characters(char):
    code = "91320505MA1XW7T5" + char + "0"
    info = uscc.parse(code)
    assert not info.well_formed and info.errors[0].part == "charset"
    assert f"position 17 '{char}'" in info.messages[0]


def test_length_and_garbage():
    assert errors_of("123")[0] == ("length", "A unified social credit code has 18 characters, this one has 3.")
    assert not uscc.parse("91320505MA1XW7T5中国").well_formed
    assert not uscc.is_well_formed("")


def test_the_early_pilot_code_fails_only_its_check_character():
    info = uscc.parse("91350211M0000XUF46")
    assert info.well_formed and not info.valid
    assert [e.part for e in info.errors] == ["check"]
    assert "should be R, not 6" in info.messages[0]
    assert (info.authority_name, info.category_name, info.division, info.org_code) == (
        "工商", "企业", "350211", "M0000XUF4")
    assert not stdnum_uscc.is_valid("91350211M0000XUF46")


def test_structured_result_for_an_api():
    data = uscc.parse("91350211 M0000XUF46").as_dict()
    assert data["code"] == "91350211M0000XUF46" and data["valid"] is False and data["well_formed"] is True
    assert data["errors"][0]["part"] == "check"
    assert (data["authority"], data["category"], data["division"], data["org_code"], data["check"]) == (
        "9", "1", "350211", "M0000XUF4", "6")


def test_validate_raises_with_every_reason_and_compacts():
    with pytest.raises(ValidationError) as exc:
        uscc.validate("b1320505-MA1XW7T500")
    assert len(exc.value.messages) >= 2
    assert all("is not a valid unified social credit code" in m for m in exc.value.messages)
    good = make_uscc("320505", body="MA1XW7T5")
    assert uscc.validate(f" {good[:8]}-{good[8:].lower()} ") == good
    assert uscc.validate_well_formed("91350211M0000XUF46") == "91350211M0000XUF46"
    with pytest.raises(ValidationError):
        uscc.validate_well_formed("91350211M0000XUF4O")


def test_messages_are_translated():
    with translation.override("zh-hans"):
        code = with_check("B1320505" + "MA1XW7T5" + uscc.org_check_character("MA1XW7T5"))
        assert uscc.parse(code).messages == ["第 1 位登记管理部门码 'B' 无效。"]
        bad_org = with_check("91320505MA1XW7T5" + ("0" if uscc.org_check_character("MA1XW7T5") != "0" else "1"))
        assert "第 9–17 位组织机构代码" in uscc.parse(bad_org).messages[0]
        assert uscc.parse("91350211M0000XUF46").messages == ["校验码（第 18 位）应为 R，而不是 6。"]


def test_builder_refuses_pairs_outside_the_table():
    with pytest.raises(ValueError):
        make_uscc("320505", 1, authority="9", kind="9")
    with pytest.raises(ValueError):
        make_uscc("320505", body="MA1XW7T")
