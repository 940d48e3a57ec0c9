from django.core.management.base import BaseCommand

from zhijian.accounts.audit import flush_all


class Command(BaseCommand):
    help = "Chain the audit entries waiting to be chained (agency lookups, recorded without the chain's lock)."

    def handle(self, *args, **options):
        self.stdout.write(f"chained {flush_all()} waiting audit entries")
