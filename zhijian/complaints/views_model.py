"""The complaint classifier page: the model in use, the confirmed labels, retraining as a background job."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from zhijian.core import scope as S

from .models import Case

# Where a model version's training texts came from (the ``source`` of its metadata).
SOURCE_LABELS = {
    "bundled": gettext_lazy("the texts shipped with Zhijian"),
    "confirmed": gettext_lazy("the shipped texts and the labels officers confirmed"),
}


def _shown(meta: dict) -> dict:
    """A version's metadata with its source by name and its training time as a datetime."""
    import datetime as dt

    out = dict(meta)
    out["source_label"] = SOURCE_LABELS.get(meta.get("source"), meta.get("source", ""))
    try:
        out["trained_at"] = dt.datetime.fromisoformat(str(meta.get("trained_at")))
    except ValueError:
        pass
    return out


class ClassifierView(View):
    """Staff see the current model and how many labels officers confirmed; a province admin retrains."""

    template_name = "complaints/classifier.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        role = S.scope_for(request.user).role
        if role not in (S.ROLE_OFFICER, S.ROLE_PROVINCE_ADMIN) and not request.user.is_superuser:
            raise PermissionDenied(_("The complaint classifier is for regulator staff."))
        self.can_retrain = role == S.ROLE_PROVINCE_ADMIN or request.user.is_superuser
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        from .classifier import model as modelmod

        current = modelmod.current_version()
        versions = [_shown(v) for v in modelmod.list_versions()]
        meta = next((v for v in versions if v.get("version") == current), None)
        cases = Case.objects.restrict(request.user, "view")
        return render(request, self.template_name, {
            "current": meta, "versions": versions[:10], "can_retrain": self.can_retrain,
            "confirmed": cases.filter(labels_confirmed=True).count(),
            "unconfirmed": cases.filter(labels_confirmed=False).count(),
            "all_confirmed": Case.objects.filter(labels_confirmed=True).count(),
        })

    def post(self, request):
        if not self.can_retrain:
            raise PermissionDenied(_("Only a province administrator retrains the classifier."))
        from .tasks import retrain_classifier

        retrain_classifier.enqueue(request.user.pk)
        messages.success(request, _("Retraining started in the background; the new version is used as soon "
                                    "as it is saved."))
        return redirect("complaints:classifier")
