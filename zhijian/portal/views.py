"""The home page (a dashboard for signed-in users) and the public portal pages.

Public pages show what an anonymous visitor may read: their rows come from
``restrict(AnonymousUser(), "view")`` whoever is signed in, so an officer sees
the portal exactly as the public does. Contact data (phone numbers) is never
loaded for them.
"""
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.views import View
from django.views.generic import TemplateView

from zhijian.core.navigation import dashboard_counts
from zhijian.core.scope import scope_for
from zhijian.registry.hooks import annotate_enterprise_flags
from zhijian.registry.models import Enterprise, StandardDeclaration

PAGE_SIZE = 20
MIN_QUERY = 2


def public_user():
    return AnonymousUser()


class HomeView(TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if user.is_authenticated:
            scope = scope_for(user)
            context["counts"] = dashboard_counts(user)
            context["scope"] = scope
            profile = getattr(user, "profile", None)
            if profile is not None:
                context["profile"] = profile
        return context


def page_of(request, queryset):
    paginator = Paginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def uscc_or_name_q(value: str, uscc_path: str, name_path: str) -> Q:
    value = value.strip()
    if len(value) == 18 and value.isalnum():
        return Q(**{uscc_path: value.upper()})
    return Q(**{f"{name_path}__icontains": value}) | Q(**{f"{uscc_path}__startswith": value.upper()})


def public_declarations():
    return (StandardDeclaration.objects.restrict(public_user(), "view")
            .select_related("enterprise__division", "standard", "category")
            .defer("enterprise__phone"))


class DeclarationListView(View):
    """Published standard self-declarations (企业标准信息公共服务), searchable."""

    def get(self, request):
        q = request.GET.get("q", "").strip()
        queryset = public_declarations()
        if q:
            queryset = queryset.filter(
                uscc_or_name_q(q, "enterprise__uscc", "enterprise__name")
                | Q(standard__code__icontains=q) | Q(product_name__icontains=q))
        page = page_of(request, queryset.order_by("-published_on", "id"))
        return render(request, "portal/declaration_list.html", {"q": q, "page": page})


class DeclarationDetailView(View):
    def get(self, request, pk):
        declaration = get_object_or_404(public_declarations(), pk=pk)
        return render(request, "portal/declaration_detail.html", {"declaration": declaration})


def public_enterprises():
    return (Enterprise.objects.restrict(public_user(), "view").select_related("division")
            .only("id", "uscc", "name", "status", "division__code", "division__name"))


class EnterpriseLookupView(View):
    """Public lookup of an enterprise's basic registration data by name or USCC."""

    def get(self, request):
        q = request.GET.get("q", "").strip()
        page = None
        too_short = bool(q) and len(q) < MIN_QUERY
        if q and not too_short:
            queryset = public_enterprises().filter(uscc_or_name_q(q, "uscc", "name"))
            # public flags of other apps (credit: on the serious-violation list), in the same query
            queryset = annotate_enterprise_flags(queryset, "pk", public_only=True)
            page = page_of(request, queryset.order_by("uscc"))
        return render(request, "portal/enterprise_lookup.html",
                      {"q": q, "page": page, "too_short": too_short, "min_query": MIN_QUERY})


class EnterpriseDetailView(View):
    def get(self, request, pk):
        enterprise = get_object_or_404(public_enterprises(), pk=pk)
        declarations = (public_declarations().filter(enterprise=enterprise)
                        .order_by("-published_on", "id")[:50])
        return render(request, "portal/enterprise_detail.html",
                      {"enterprise": enterprise, "declarations": declarations})
