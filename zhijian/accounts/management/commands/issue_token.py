from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from zhijian.accounts.tokens import issue_token
from zhijian.core.context import change_context
from zhijian.core.scope import ROLE_AGENCY, TOKEN_WRITE_ROLES


class Command(BaseCommand):
    help = ("Issue an API token for USERNAME and print its key once; only a hash is stored. Tokens are "
            "read-only, except those of sentinel-hospital staff, which may submit their injury cases.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for, e.g. 'bank credit checks'")
        parser.add_argument("--days", type=int, default=None,
                            help="days until the token expires (default: until revoked)")

    def handle(self, username, name, days=None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive")
        if days is not None and days <= 0:
            raise CommandError("--days must be a positive number")
        profile = getattr(user, "profile", None)
        if profile is not None and profile.role in TOKEN_WRITE_ROLES:
            self.stderr.write(f"note: {username} is a submission client; the token may submit its own records")
        elif profile is None or profile.role != ROLE_AGENCY:
            self.stderr.write(self.style.WARNING(
                f"note: {username} is not an agency client; the token is read-only all the same"))
        with change_context(source="cli"):
            token, key = issue_token(user, name, days)
        expiry = token.expires.strftime("%Y-%m-%d %H:%M %Z") if token.expires else "never"
        self.stdout.write(f"Token {token.prefix}… for {username} ({name}), expires: {expiry}")
        self.stdout.write("Key (shown once, store it now):")
        self.stdout.write(key)
