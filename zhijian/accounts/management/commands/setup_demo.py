"""Load the demo data set and create one demo account per role (for ``make run``)."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import translation

from zhijian.accounts.models import APIToken
from zhijian.accounts.services import create_user
from zhijian.core import scope as S
from zhijian.core.context import change_context

DEMO_PASSWORD = "zhijian-demo"


class Command(BaseCommand):
    help = "Load demo data (deterministic, seed 1) and create one demo account per role."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument("--enterprises", type=int, default=None,
                            help="number of demo enterprises (default: the demo scale's 20,000)")

    def handle(self, *args, **options):
        # The texts the demo stores (reasons, titles, event notes) are in the deployment's
        # language, whichever language the caller had active.
        with translation.override(settings.LANGUAGE_CODE):
            self.load(**options)

    def load(self, *, seed, password, enterprises=None, **options):
        from zhijian.registry.generator import load_demo
        from zhijian.registry.models import Division, Enterprise, Inspector, Lab

        with change_context(source="cli"):
            counts = load_demo(seed=seed, progress=options.get("verbosity", 1) > 0,
                               enterprises=enterprises)
        for name, n in counts.items():
            self.stdout.write(f"  {name}: {n}")

        User = get_user_model()
        # Spot checks first (by the province administrator): the demo accounts below are bound
        # to an enterprise, an inspector and a lab that have something to do in them.
        province_admin = User.objects.filter(username="province").first()
        created_here = province_admin is None
        if created_here:
            with transaction.atomic(), change_context(source="cli"):
                province_admin = create_user("province", password, S.ROLE_PROVINCE_ADMIN,
                                             division=Division.objects.get(pk="320000"),
                                             full_name="江苏省局管理员")
                province_admin.is_staff = True
                province_admin.save(update_fields=["is_staff"])
        with change_context(user=province_admin, source="cli"):
            from zhijian.spotcheck import demo as spotcheck_demo

            for name, n in spotcheck_demo.load(province_admin, seed=seed).items():
                self.stdout.write(f"  {name}: {n}")
        from zhijian.spotcheck.models import Task

        suzhou_tasks = Task.objects.filter(division__pk__startswith="3205")
        objectable = suzhou_tasks.filter(status=Task.Status.NOTIFIED, verdict=Task.Verdict.UNQUALIFIED) \
            .order_by("pk").values_list("enterprise_id", flat=True).first()
        suzhou = (Enterprise.objects.filter(pk=objectable).first() if objectable else None) or \
            Enterprise.objects.filter(division__pk__startswith="3205", products__isnull=False).order_by("pk").first()
        lab = Lab.objects.filter(pk__in=suzhou_tasks.filter(status=Task.Status.DELIVERED).values("lab_id")) \
            .order_by("pk").first() or Lab.objects.filter(division__pk__startswith="3205").order_by("pk").first()
        open_inspectors = suzhou_tasks.filter(status__in=[Task.Status.ASSIGNED, Task.Status.SAMPLED]) \
            .values("inspectors")
        inspector = (Inspector.objects.filter(pk__in=open_inspectors, user__isnull=True)
                     .order_by("-division__code", "pk").first()
                     or Inspector.objects.filter(division__pk__startswith="3205", user__isnull=True)
                     .order_by("pk").first())
        accounts = [
            ("province", S.ROLE_PROVINCE_ADMIN, {"division": Division.objects.get(pk="320000")},
             "江苏省局管理员"),
            ("suzhou", S.ROLE_OFFICER, {"division": Division.objects.get(pk="320500")}, "苏州市局执法人员"),
            ("kunshan", S.ROLE_OFFICER, {"division": Division.objects.get(pk="320583")}, "昆山市局执法人员"),
            ("nanjing", S.ROLE_OFFICER, {"division": Division.objects.get(pk="320100")}, "南京市局执法人员"),
            ("inspector", S.ROLE_INSPECTOR, {"division": Division.objects.get(pk="320500"),
                                             "inspector": inspector}, "检查员"),
            ("lab", S.ROLE_LAB, {"lab": lab}, "检验机构用户"),
            ("enterprise", S.ROLE_ENTERPRISE, {"enterprise": suzhou}, "企业用户"),
            ("agency", S.ROLE_AGENCY, {}, "联合奖惩接口用户"),
        ]
        rows = []
        with transaction.atomic(), change_context(source="cli"):
            for username, role, kw, full_name in accounts:
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = create_user(username, password, role, full_name=full_name, **kw)
                    if role == S.ROLE_PROVINCE_ADMIN:
                        user.is_staff = True
                        user.save(update_fields=["is_staff"])
                    note = ""
                    if role == S.ROLE_AGENCY:
                        _, key = APIToken.issue(user, "demo agency token")
                        note = f"API token: {key}"
                else:
                    note = "" if created_here and username == "province" else "(exists)"
                bound = kw.get("enterprise") or kw.get("lab") or kw.get("division") or "province"
                rows.append((username, role, str(bound), note))
        province = User.objects.get(username="province")
        with change_context(source="cli"):
            from zhijian.complaints import demo as complaints_demo

            n = complaints_demo.load(province, seed=seed)
        self.stdout.write(f"  complaints and reports: {n}")
        with change_context(source="cli"):
            from zhijian.credit import demo as credit_demo

            for name, n in credit_demo.load(seed=seed, enterprise=suzhou).items():
                self.stdout.write(f"  credit {name}: {n}")
        with change_context(source="cli"):
            from zhijian.enforcement import demo as enforcement_demo

            suzhou_officer = User.objects.get(username="suzhou")
            for name, n in enforcement_demo.load(province, suzhou_officer, enterprise=suzhou).items():
                self.stdout.write(f"  enforcement cases {name}: {n}")
        officer = User.objects.get(username="suzhou")
        with change_context(user=officer, source="cli"):
            from zhijian.recall import demo as recall_demo

            for name, n in recall_demo.load(officer, producer=suzhou).items():
                self.stdout.write(f"  recall {name}: {n}")
        with change_context(user=province, source="cli"):
            from zhijian.risk import demo as risk_demo
            from zhijian.risk.models import SentinelHospital

            for name, n in risk_demo.load(province, seed=seed).items():
                self.stdout.write(f"  risk {name}: {n}")
        with change_context(user=province, source="cli"):
            from zhijian.targets import demo as targets_demo

            for name, n in targets_demo.load(province, officer).items():
                self.stdout.write(f"  targets {name}: {n}")
        hospital = SentinelHospital.objects.filter(division__pk__startswith="3205").order_by("code").first()
        if hospital is not None:
            with transaction.atomic(), change_context(source="cli"):
                user = User.objects.filter(username="hospital").first()
                note = "(exists)"
                if user is None:
                    user = create_user("hospital", password, S.ROLE_HOSPITAL, sentinel_hospital=hospital,
                                       full_name="哨点医院填报人员")
                    _, key = APIToken.issue(user, "demo hospital submission token")
                    note = f"API token: {key}"
                rows.append(("hospital", S.ROLE_HOSPITAL, str(hospital), note))
        self.stdout.write(self.style.SUCCESS(f"\nDemo accounts (password: {password}):"))
        for username, role, bound, note in rows:
            self.stdout.write(f"  {username:<11} {role:<15} {bound}  {note}")
