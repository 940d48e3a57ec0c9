"""Credit pages: grades with their explanation ("why is my grade B?")."""
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View

from zhijian.core.scope import ROLE_ENTERPRISE, scope_for
from zhijian.core.views import ObjectDetailView, ObjectListView

from . import filtersets, models, tables

GROUP_LABELS = dict(models.IndicatorGroup.choices)


class GradeListView(ObjectListView):
    model = models.Grade
    queryset = models.Grade.objects.select_related("enterprise", "method")
    filterset_class = filtersets.GradeFilterSet
    table_class = tables.GradeTable
    filter_fields = ("grade", "risk_class", "run")


class GradeDetailView(ObjectDetailView):
    model = models.Grade
    queryset = models.Grade.objects.select_related("enterprise", "method", "run")
    template_name = "credit/grade_detail.html"
    detail_fields = ("enterprise", "score", "grade", "risk_class", "method", "as_of", "computed_at")

    def get_extra_context(self, obj) -> dict:
        ex = obj.explanation or {}
        groups = [{"key": k, "label": GROUP_LABELS.get(k, k), **v} for k, v in (ex.get("groups") or {}).items()]
        events = sorted(ex.get("events") or [], key=lambda e: (e["group"], e["date"]))
        return {"groups": groups, "events": events, "rule": ex.get("rule", ""),
                "grade_class": ex.get("grade_class", ""), "bands": ex.get("grade_bands") or {}}


class MyGradeView(View):
    """An enterprise user's own latest grade."""

    def get(self, request):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        scope = scope_for(request.user)
        if scope.role != ROLE_ENTERPRISE or scope.enterprise_id is None:
            return redirect("credit:grade_list")
        grade = (models.Grade.objects.restrict(request.user, "view")
                 .filter(enterprise_id=scope.enterprise_id).order_by("-computed_at", "-id").first())
        if grade is None:
            raise Http404(_("Your enterprise has not been graded yet."))
        return redirect("credit:grade_detail", grade.pk)
