"""``risk_opinion_fetch``: fetch the public-opinion sources whose interval has passed (or all
with ``--all``, or one with ``--source``). ``credit_schedule`` runs the same step on each check."""
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhijian.core.context import change_context
from zhijian.risk import opinion
from zhijian.risk.models import OpinionSource


class Command(BaseCommand):
    help = "Fetch public-opinion items from the sources that are due."

    def add_arguments(self, parser):
        parser.add_argument("--source", type=int, help="fetch this source (id) now, due or not")
        parser.add_argument("--all", action="store_true", help="fetch every active source now")

    def handle(self, *args, source=None, all=False, **options):
        now = timezone.now()
        with change_context(source="cli"):
            if source is not None or all:
                sources = OpinionSource.objects.filter(pk=source) if source is not None \
                    else OpinionSource.objects.filter(active=True)
                if not sources.exists():
                    raise CommandError("no such source")
                results = {}
                for s in sources:
                    try:
                        results[s.name] = opinion.fetch_source(s, now)
                    except opinion.FetchError as exc:
                        results[s.name] = f"error: {exc}"
            else:
                results = opinion.fetch_due(now)
        for name, result in results.items():
            self.stdout.write(f"{name}: {result}")
        if not results:
            self.stdout.write("no source is due")
