import pytest
from django.contrib.auth.models import AnonymousUser

from zhijian.core import scope as S
from zhijian.registry.models import Division, Enterprise, Inspector, StandardDeclaration, Standard


def test_division_prefix():
    assert S.division_prefix("320000") == "32"
    assert S.division_prefix("320500") == "3205"
    assert S.division_prefix("320505") == "320505"
    with pytest.raises(ValueError):
        S.division_prefix("32050")


@pytest.fixture
def world(enterprise_factory):
    return {
        "suzhou": enterprise_factory("320505", name="苏州虎丘企业"),
        "suzhou2": enterprise_factory("320583", name="昆山企业"),
        "nanjing": enterprise_factory("320102", name="南京玄武企业"),
        "beijing": enterprise_factory("110101", name="北京东城企业"),
    }


def names(qs):
    return sorted(qs.values_list("name", flat=True))


def test_city_officer_sees_city_and_counties_only(make_user, world):
    officer = make_user(S.ROLE_OFFICER, "320500")
    assert names(Enterprise.objects.restrict(officer)) == ["昆山企业", "苏州虎丘企业"]
    assert names(Enterprise.objects.restrict(officer, "change")) == ["昆山企业", "苏州虎丘企业"]


def test_county_officer_sees_county_only(make_user, world):
    officer = make_user(S.ROLE_OFFICER, "320583")
    assert names(Enterprise.objects.restrict(officer)) == ["昆山企业"]


def test_province_admin_sees_province_not_other_provinces(make_user, world):
    admin = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    assert names(Enterprise.objects.restrict(admin)) == ["南京玄武企业", "昆山企业", "苏州虎丘企业"]


def test_inspector_reads_but_cannot_write(make_user, world):
    inspector = make_user(S.ROLE_INSPECTOR, "320500")
    assert Enterprise.objects.restrict(inspector).count() == 2
    assert not Enterprise.objects.restrict(inspector, "change").exists()
    assert not Enterprise.objects.restrict(inspector, "delete").exists()


def test_enterprise_user_sees_own_enterprise_for_writes(make_user, world):
    user = make_user(S.ROLE_ENTERPRISE, enterprise=world["suzhou"])
    std = Standard.objects.create(code="Q/TEST 1-2026", title="t", kind="enterprise")
    mine = StandardDeclaration.objects.create(enterprise=world["suzhou"], product_name="a",
                                              standard=std, published_on="2026-01-01",
                                              status="draft")
    other = StandardDeclaration.objects.create(enterprise=world["nanjing"], product_name="b",
                                               standard=std, status="draft")
    assert list(StandardDeclaration.objects.restrict(user, "change")) == [mine]
    assert list(StandardDeclaration.objects.restrict(user)) == [mine]
    other.status = "published"
    other.published_on = "2026-02-01"
    other.save()
    # published declarations of others are public, hence visible but not changeable
    assert set(StandardDeclaration.objects.restrict(user)) == {mine, other}
    assert list(StandardDeclaration.objects.restrict(user, "change")) == [mine]


def test_anonymous_sees_published_only(world):
    anon = AnonymousUser()
    assert Enterprise.objects.restrict(anon).count() == 4
    assert not Enterprise.objects.restrict(anon, "change").exists()
    Inspector.objects.create(name="张三", badge_number="32050001", division_id="320505")
    assert not Inspector.objects.restrict(anon).exists()


def test_user_without_role_sees_only_public(db, world):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("norole", password="x")
    assert not Inspector.objects.restrict(user).exists()
    assert not Enterprise.objects.restrict(user, "add").exists()


def test_division_scope_applies_to_divisions(make_user):
    officer = make_user(S.ROLE_OFFICER, "320500")
    codes = set(Division.objects.restrict(officer).values_list("code", flat=True))
    assert "320500" in codes and "320583" in codes and "320100" not in codes
