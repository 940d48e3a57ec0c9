from django.core.management.base import BaseCommand, CommandError

from zhijian.accounts.audit import flush_all, verify_chain


class Command(BaseCommand):
    help = ("Verify the audit log's SHA-256 hash chain; report the first broken link. Entries "
            "waiting to be chained (agency lookups) are chained first, unless --no-flush.")

    def add_arguments(self, parser):
        parser.add_argument("--no-flush", action="store_true",
                            help="do not chain waiting entries first (e.g. on a read-only copy)")

    def handle(self, *args, no_flush=False, **options):
        if not no_flush:
            flush_all()
        result = verify_chain()
        if not result.ok:
            raise CommandError(str(result))
        self.stdout.write(self.style.SUCCESS(str(result)))
