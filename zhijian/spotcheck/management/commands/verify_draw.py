"""``zhijian verify-draw RECORD POOL``: recompute a published double-random draw.

Prints ``MATCH`` (exit status 0) when the record file and the pool file reproduce the
published draw exactly, otherwise ``MISMATCH: <the first difference>`` (exit status 1).
Needs no database: the draw is recomputed from the two files alone (docs/draw.md).
"""
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhijian.spotcheck.draw import verify


class Command(BaseCommand):
    help = ("Recompute a published double-random draw from its record (JSON) and its pool (CSV) "
            "and print MATCH, or MISMATCH with the first difference (exit status 1).")
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("record", help="the draw record file (JSON) as published")
        parser.add_argument("pool", help="the pool file (CSV) as published")
        parser.add_argument("--engine", choices=("reference", "fast"), default="reference",
                            help="reference (default): plain Python and hashlib, row by row; "
                                 "fast: the compiled path, for province-scale pools")

    def handle(self, *args, **opts):
        paths = {}
        for name in ("record", "pool"):
            path = Path(opts[name])
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
            paths[name] = path
        result = verify(paths["record"].read_bytes(), paths["pool"].read_bytes(), engine=opts["engine"])
        if result.match:
            self.stdout.write("MATCH")
            return
        self.stdout.write(f"MISMATCH: {result.first_difference}")
        sys.exit(1)
