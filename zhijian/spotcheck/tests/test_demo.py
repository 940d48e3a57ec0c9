"""The demo's spot checks (make run): a year of plans of every kind, verified draws, every task state."""
import pytest
from django.test import Client

from zhijian.core.testing.demo import loaded_demo
from zhijian.spotcheck.models import Plan, Task


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with loaded_demo(django_db_blocker, enterprises=3000) as printed:
        yield printed


@pytest.mark.django_db
def test_demo_has_published_plans_of_each_kind_with_verified_draws(demo, tmp_path):
    from zhijian.spotcheck import draw as engine

    plans = Plan.objects.filter(status=Plan.Status.PUBLISHED)
    assert {p.kind for p in plans} == {"routine", "seasonal", "risk"}
    for plan in plans:
        d = plan.draw
        record = tmp_path / f"r{plan.pk}.json"
        pool = tmp_path / f"p{plan.pk}.csv"
        record.write_bytes(d.record_file.read())
        pool.write_bytes(d.pool_file.read())
        result = engine.verify(record.read_bytes(), pool.read_bytes())
        assert result.match, (plan.title, result.first_difference)


@pytest.mark.django_db
def test_demo_has_every_task_state_and_published_results(demo):
    states = set(Task.objects.values_list("status", flat=True))
    assert states == set(Task.Status.values), set(Task.Status.values) - states
    published = Task.objects.exclude(published_on=None)
    assert published.count() >= 20
    assert published.filter(verdict=Task.Verdict.UNQUALIFIED).exists()


@pytest.mark.django_db
def test_demo_portal_and_credit_show_spot_checks(demo):
    from zhijian.credit.models import Grade

    client = Client()
    rates = client.get("/portal/spotchecks/pass-rates/", {"by": "city"})
    assert rates.status_code == 200 and len(rates.context["rows"]) >= 5
    overall = sum(r["qualified"] for r in rates.context["rows"]) / sum(r["tested"] for r in rates.context["rows"])
    assert 0.75 < overall < 0.97  # most results qualified, as in a real province
    by_category = [r for r in client.get("/portal/spotchecks/pass-rates/").context["rows"] if r["tested"] >= 4]
    assert min(r["rate"] for r in by_category) < overall - 0.15  # a few categories clearly worse
    results = client.get("/portal/spotchecks/results/")
    assert results.status_code == 200 and results.context["page"].paginator.count >= 20
    data = client.get("/portal/spotchecks/open-data/", {"format": "csv"})
    assert b"".join(data.streaming_content).count(b"\n") > 20
    cited = [g for g in Grade.objects.all()
             if any(e.get("type", "").startswith(("spotcheck_", "recheck_"))
                    for e in (g.explanation or {}).get("events", []))]
    assert cited, "no credit grade cites a spot-check result"


@pytest.mark.django_db
def test_every_demo_role_has_something_to_do(demo):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    inspector = User.objects.get(username="inspector").profile.inspector
    assert Task.objects.filter(inspectors=inspector, status__in=["assigned", "sampled"]).exists()
    lab = User.objects.get(username="lab").profile.lab
    assert Task.objects.filter(lab=lab, status="delivered").exists()
    ent = User.objects.get(username="enterprise").profile.enterprise
    assert Task.objects.filter(enterprise=ent, status="notified", verdict="unqualified").exists()
