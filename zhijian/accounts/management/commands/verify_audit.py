from django.core.management.base import BaseCommand, CommandError

from zhijian.accounts.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's SHA-256 hash chain; report the first broken link."

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.ok:
            raise CommandError(str(result))
        self.stdout.write(self.style.SUCCESS(str(result)))
