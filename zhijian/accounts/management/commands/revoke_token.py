from django.core.management.base import BaseCommand, CommandError

from zhijian.accounts.models import APIToken
from zhijian.accounts.tokens import revoke_tokens
from zhijian.core.context import change_context


class Command(BaseCommand):
    help = "Revoke an API token by its prefix (the first 8 characters of the key), or all of a user's."

    def add_arguments(self, parser):
        parser.add_argument("prefix", nargs="?", help="the token's prefix as shown when issued")
        parser.add_argument("--user", help="only tokens of this user (with --all: every one)")
        parser.add_argument("--all", action="store_true", help="revoke all tokens of --user")

    def handle(self, prefix=None, user=None, all=False, **options):
        tokens = APIToken.objects.all()
        if user:
            tokens = tokens.filter(user__username=user)
        if all:
            if not user:
                raise CommandError("--all needs --user")
        elif not prefix:
            raise CommandError("give a token prefix (or --user USERNAME --all)")
        else:
            tokens = tokens.filter(prefix=prefix)
            found = tokens.count()
            if found == 0:
                raise CommandError(f"no token with prefix {prefix!r}")
            if found > 1:
                raise CommandError(f"{found} tokens share prefix {prefix!r}; add --user")
        with change_context(source="cli"):
            count = revoke_tokens(tokens)
        self.stdout.write(self.style.SUCCESS(f"revoked {count} token(s)"))
