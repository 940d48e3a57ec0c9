"""The openFDA query module against a real model (registry ``Enterprise``), on the real database."""
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from zhijian.core import fdaquery as fq
from zhijian.registry.models import Enterprise
from zhijian.registry.tests.factories import make_enterprise

FIELDS = fq.FieldMap({
    "name": fq.Field("name"),
    "uscc": fq.Field("uscc", fq.KEYWORD),
    "division": fq.Field("division__code", fq.KEYWORD),
    "address": fq.Field("address", countable=False),
    "established_on": fq.Field("established_on", fq.DATE),
    "registered_capital": fq.Field("registered_capital", fq.NUMBER),
    "status": fq.Field("status", fq.CHOICE, choices=fq.choices_of(Enterprise._meta.get_field("status"))),
    "scale": fq.Field("scale", fq.CHOICE, choices=fq.choices_of(Enterprise._meta.get_field("scale")),
                      sortable=False),
})


@pytest.fixture
def ents(db):
    rows = {
        "a": make_enterprise("320505", name="Suzhou Lamp Works", address="1 Canal Road", scale="small",
                             established_on=dt.date(2020, 1, 15), registered_capital=Decimal("100")),
        "b": make_enterprise("320505", name="Suzhou Heater Co", address="", scale="large",
                             established_on=dt.date(2020, 12, 31), registered_capital=Decimal("2500.50")),
        "c": make_enterprise("320583", name="Kunshan Lamp Shop", address="8 Lamp Street", scale="small",
                             established_on=dt.date(2021, 6, 1), registered_capital=None, status="revoked"),
        "d": make_enterprise("320102", name="Nanjing Toy Factory", address="9 Toy Lane", scale="",
                             established_on=None, registered_capital=Decimal("7")),
    }
    return rows


def names(search, **params):
    q = fq.search_q(search, FIELDS)
    return sorted(Enterprise.objects.filter(q).filter(name__regex=r"^(Suzhou|Kunshan|Nanjing) ")
                  .values_list("name", flat=True))


def error(search=None, **params):
    if search is not None:
        params["search"] = search
    with translation.override("en"):
        with pytest.raises(fq.QueryError) as exc:
            fq.Query.from_params(params, FIELDS)
    return exc.value


# --------------------------------------------------------------------------- parser


def test_parse_precedence_and_binds_tighter_than_or():
    tree = fq.parse("name:a OR name:b AND name:c")
    assert tree == fq.BoolOp("OR", (fq.Term("name", "a", 1),
                                    fq.BoolOp("AND", (fq.Term("name", "b", 11), fq.Term("name", "c", 22)))))


def test_parse_adjacent_terms_mean_or_like_openfda():
    assert fq.parse("name:a name:b") == fq.BoolOp("OR", (fq.Term("name", "a", 1), fq.Term("name", "b", 8)))


def test_parse_phrase_exact_range_exists_group_not():
    assert fq.parse('name.exact:"Suzhou \\"Lamp\\" Works"') == fq.Term(
        "name", 'Suzhou "Lamp" Works', 1, phrase=True, exact=True)
    assert fq.parse("established_on:[20200101 TO 2020-12-31]") == fq.Range(
        "established_on", "20200101", "2020-12-31", 1)
    assert fq.parse("registered_capital:{* TO 100}") == fq.Range(
        "registered_capital", "*", "100", 1, include_low=False, include_high=False)
    assert fq.parse("_missing_:address") == fq.Exists("address", 11, missing=True)
    assert fq.parse("name:(lamp OR heater)") == fq.BoolOp(
        "OR", (fq.Term("name", "lamp", 7), fq.Term("name", "heater", 15)))
    assert fq.parse("NOT name:lamp") == fq.Not(fq.Term("name", "lamp", 5))
    assert fq.parse("  ") is None


@pytest.mark.parametrize("search,position,fragment", [
    ('name:"lamp', 6, "Unbalanced quote"),
    ("(name:lamp OR name:heater", 1, "Unbalanced parenthesis"),
    ("name:lamp)", 10, "closes nothing"),
    ("established_on:[20200101 TO 20201231", 16, "Unbalanced range"),
    ("established_on:[20200101]", 16, "[from TO to]"),
    ("name:lamp AND", 14, "ends where a term was expected"),
    ("name:", 1, "has no term"),
    (":lamp", 1, "field name was expected"),
    ("name:lamp ]", 11, "no range is open"),
    ("[1 TO 2]", 1, "A range needs a field"),
    ("_exists_:(name)", 10, "needs a field name"),
    ("name:a\x00b", 7, "NUL character"),
])
def test_syntax_errors_name_the_problem_and_position(search, position, fragment):
    with translation.override("en"):
        with pytest.raises(fq.QueryError) as exc:
            fq.parse(search)
    assert fragment in exc.value.message
    assert exc.value.position == position
    assert f"position {position}" in exc.value.message
    assert exc.value.as_body()["error"]["code"] == "BAD_REQUEST"


def test_limits_on_size_depth_and_terms():
    assert "longer than" in error("name:" + "a" * 3000).message
    assert "too deeply" in error("(" * 40 + "name:a" + ")" * 40).message
    assert "more than 64 terms" in error(" ".join(f"name:t{i}" for i in range(80))).message


# --------------------------------------------------------------------------- compiler on the database


def test_text_word_and_phrase_are_case_insensitive(ents):
    assert names("name:lamp") == ["Kunshan Lamp Shop", "Suzhou Lamp Works"]
    assert names('name:"lamp works"') == ["Suzhou Lamp Works"]
    assert names("name:lamp AND division:320583") == ["Kunshan Lamp Shop"]
    assert names("name:toy OR name:heater") == ["Nanjing Toy Factory", "Suzhou Heater Co"]
    assert names("name:lamp name:toy") == ["Kunshan Lamp Shop", "Nanjing Toy Factory", "Suzhou Lamp Works"]
    assert names("(name:lamp OR name:toy) AND division:320505") == ["Suzhou Lamp Works"]
    assert names("name:lamp AND NOT division:320505") == ["Kunshan Lamp Shop"]
    assert names("name:(heater OR toy)") == ["Nanjing Toy Factory", "Suzhou Heater Co"]


def test_exact_matches_the_whole_value_case_sensitively(ents):
    assert names('name.exact:"Suzhou Lamp Works"') == ["Suzhou Lamp Works"]
    assert names('name.exact:"suzhou lamp works"') == []
    assert names('name.exact:"Suzhou Lamp"') == []
    uscc = ents["b"].uscc
    assert names(f"uscc:{uscc.lower()}") == ["Suzhou Heater Co"]
    assert names(f"uscc.exact:{uscc.lower()}") == []


def test_terms_without_a_field_search_the_default_fields(ents):
    assert names("canal") == ["Suzhou Lamp Works"]
    assert names('"Toy Lane"') == ["Nanjing Toy Factory"]


def test_date_ranges_in_both_forms_inclusive_and_exclusive(ents):
    assert names("established_on:[20200101 TO 20201231]") == ["Suzhou Heater Co", "Suzhou Lamp Works"]
    assert names("established_on:[2020-01-16 TO 2021-06-01]") == ["Kunshan Lamp Shop", "Suzhou Heater Co"]
    assert names("established_on:{20200115 TO 20210601}") == ["Suzhou Heater Co"]
    assert names("established_on:[20210101 TO *]") == ["Kunshan Lamp Shop"]
    assert names("established_on:20201231") == ["Suzhou Heater Co"]


def test_number_ranges_and_equality(ents):
    assert names("registered_capital:[50 TO 3000]") == ["Suzhou Heater Co", "Suzhou Lamp Works"]
    assert names("registered_capital:2500.5") == ["Suzhou Heater Co"]
    assert names("registered_capital:[* TO 100]") == ["Nanjing Toy Factory", "Suzhou Lamp Works"]


def test_choices_accept_the_value_and_the_label_in_either_language(ents):
    assert names("status:revoked") == ["Kunshan Lamp Shop"]
    assert names('status:"licence revoked"') == ["Kunshan Lamp Shop"]
    with translation.override("zh-hans"):
        zh = str(Enterprise.Status.REVOKED.label)
    assert zh != "licence revoked"
    assert names(f"status:{zh}") == ["Kunshan Lamp Shop"]
    assert names("scale:SMALL") == ["Kunshan Lamp Shop", "Suzhou Lamp Works"]


def test_exists_and_missing(ents):
    assert names("_exists_:address") == ["Kunshan Lamp Shop", "Nanjing Toy Factory", "Suzhou Lamp Works"]
    assert names("_missing_:address") == ["Suzhou Heater Co"]
    assert names("_missing_:established_on") == ["Nanjing Toy Factory"]
    assert names("_exists_:registered_capital AND _missing_:scale") == ["Nanjing Toy Factory"]


@pytest.mark.parametrize("search,fragment,position", [
    ("colour:red", "Unknown field “colour” at position 1", 1),
    ("name:lamp AND established_on:2020-02-30", "“2020-02-30” is not a date (position 15", 15),
    ("established_on:[2020 TO 2021]", "not a date", 1),
    ("registered_capital:lots", "is not a number", 1),
    ("status:sleeping", "“sleeping” is not a value of “status”", 1),
    ("status:[active TO revoked]", "a range cannot be used", 1),
    ("established_on:[20211231 TO 20200101]", "ends before it starts", 1),
    ("_exists_:colour", "Unknown field “colour” at position 10", 10),
])
def test_semantic_errors_name_field_value_and_position(db, search, fragment, position):
    exc = error(search)
    assert fragment in exc.message
    assert exc.position == position


def test_a_bare_term_needs_a_field_when_nothing_is_searched_by_default():
    only_dates = fq.FieldMap({"d": fq.Field("established_on", fq.DATE)})
    with translation.override("en"), pytest.raises(fq.QueryError, match="needs a field"):
        fq.search_q("lamp", only_dates)


# --------------------------------------------------------------------------- count, sort, paging, run


def record(e):
    return {"name": e.name}


def ours(db_qs=None):
    return Enterprise.objects.filter(name__regex=r"^(Suzhou|Kunshan|Nanjing) ")


def test_count_terms_by_count_then_term(ents):
    status, body = fq.run(ours(), {"count": "division"}, FIELDS, record)
    assert status == 200
    assert body["results"] == [{"term": "320505", "count": 2}, {"term": "320102", "count": 1},
                               {"term": "320583", "count": 1}]
    status, body = fq.run(ours(), {"search": "name:lamp", "count": "scale.exact"}, FIELDS, record)
    assert body["results"] == [{"term": "small", "count": 2}]


def test_count_of_a_date_field_is_a_time_series(ents):
    status, body = fq.run(ours(), {"count": "established_on"}, FIELDS, record)
    assert body["results"] == [{"time": "20200115", "count": 1}, {"time": "20201231", "count": 1},
                               {"time": "20210601", "count": 1}]


def test_count_of_a_field_that_is_not_countable_is_refused(db):
    exc = error(count="address")
    assert exc.parameter == "count" and "Cannot count “address”" in exc.message
    assert "Cannot count “colour”" in error(count="colour").message


def test_sort_paging_and_meta(ents):
    params = {"search": "_exists_:registered_capital", "sort": "registered_capital:desc", "limit": "2"}
    status, body = fq.run(ours(), params, FIELDS, record, meta={"disclaimer": "x"})
    assert status == 200
    assert body["meta"] == {"disclaimer": "x", "results": {"skip": 0, "limit": 2, "total": 3}}
    assert [r["name"] for r in body["results"]] == ["Suzhou Heater Co", "Suzhou Lamp Works"]
    status, body = fq.run(ours(), {**params, "skip": "2"}, FIELDS, record)
    assert [r["name"] for r in body["results"]] == ["Nanjing Toy Factory"]
    # nulls last whatever the direction; openFDA's default page is one record
    status, body = fq.run(ours(), {"sort": "established_on:asc,name:asc"}, FIELDS, record)
    assert body["meta"]["results"] == {"skip": 0, "limit": 1, "total": 4}
    assert [r["name"] for r in body["results"]] == ["Suzhou Lamp Works"]
    status, body = fq.run(ours(), {"sort": "established_on:desc", "limit": "4"}, FIELDS, record)
    assert body["results"][-1]["name"] == "Nanjing Toy Factory"


def test_limit_and_skip_caps_and_bad_numbers(db):
    assert fq.Query.from_params({"limit": "1000", "skip": "25000"}, FIELDS).limit == 1000
    exc = error(limit="1001")
    assert exc.parameter == "limit" and "cannot exceed 1000" in exc.message
    exc = error(skip="25001")
    assert exc.parameter == "skip" and "cannot exceed 25000" in exc.message
    assert "whole number" in error(limit="-1").message
    assert "whole number" in error(skip="ten").message


def test_bad_sort(db):
    assert "Cannot sort by “scale”" in error(sort="scale:asc").message
    assert "Cannot sort by “colour”" in error(sort="colour").message
    assert "asc or desc" in error(sort="name:up").message


def test_run_answers_errors_and_no_match_in_openfda_form(ents):
    with translation.override("en"):
        status, body = fq.run(ours(), {"search": "colour:red"}, FIELDS, record)
        assert status == 400
        assert body["error"]["code"] == "BAD_REQUEST" and body["error"]["position"] == 1
        status, body = fq.run(ours(), {"search": "name:zeppelin"}, FIELDS, record)
        assert (status, body) == (404, {"error": {"code": "NOT_FOUND", "message": "No matches found!",
                                                  "parameter": "search"}})


def test_messages_are_translated(db):
    with translation.override("zh-hans"):
        with pytest.raises(fq.QueryError) as exc:
            fq.search_q("colour:red", FIELDS)
    assert "未知字段" in exc.value.message


# --------------------------------------------------------------------------- any text at all

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = st.sampled_from([*'()"[]{}:*\\ -', "AND", "OR", "NOT", " TO ", "name", "status", "scale",
                          "established_on", "registered_capital", ".exact", "_exists_", "_missing_", "2020",
                          "20200101", "2020-13-01", "1e9", "lamp", "中文", "\x00", "\t"])


@pytest.mark.django_db
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(search=st.lists(PIECES, max_size=24).map("".join), sort=st.sampled_from(["", "name:desc", "x:y"]),
       count=st.sampled_from(["", "status", "scale.exact", "address"]))
def test_any_search_is_an_answer_or_a_400_never_a_crash(search, sort, count):
    status, body = fq.run(Enterprise.objects.all(), {"search": search, "sort": sort, "count": count}, FIELDS,
                          record)
    assert status in (200, 400, 404)
    if status != 200:
        assert body["error"]["message"]
