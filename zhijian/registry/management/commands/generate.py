"""``zhijian generate --scale demo|city|province --seed N``: deterministic registry data."""
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhijian.core.context import change_context
from zhijian.registry import generator


class Command(BaseCommand):
    help = ("Generate deterministic registry data: --scale demo loads about 20,000 enterprises "
            "(with products, certifications, inspectors, labs...) into the database; city and "
            "province scale write Parquet files (enterprises, products, inspectors, labs).")

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=generator.SCALES, default="demo")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--rows", type=int, default=None,
                            help="number of enterprises instead of the scale's default "
                                 "(demo 20,000; city: its share of the province; province 14,000,000)")
        parser.add_argument("--city", default=None,
                            help="GB/T 2260 code of the city for --scale city (default: the "
                                 "largest city by weight)")
        parser.add_argument("--province", default=None,
                            help="GB/T 2260 province code (default: settings.ZHIJIAN_PROVINCE_CODE)")
        parser.add_argument("--out", default=None,
                            help="output directory for Parquet files (default "
                                 "var/generated/<scale>-seed<N>/)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, scale, seed, rows, city, province, out, no_progress, **options):
        if seed < 0:
            raise CommandError("--seed must be a non-negative integer")
        if rows is not None and rows <= 0:
            raise CommandError("--rows must be a positive number")
        progress = not no_progress
        started = time.perf_counter()
        if scale == "demo":
            if out or city:
                raise CommandError("--out and --city apply to the city and province scales")
            if province and province != settings.ZHIJIAN_PROVINCE_CODE:
                raise CommandError("the demo loads the deployment's province "
                                   "(settings.ZHIJIAN_PROVINCE_CODE)")
            try:
                with change_context(source="cli"):
                    counts = generator.load_demo(seed=seed, progress=progress, enterprises=rows)
            except (RuntimeError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            for name, n in counts.items():
                self.stdout.write(f"{name}: {n:,}")
            self.stdout.write(self.style.SUCCESS(
                f"demo data (seed {seed}) in the database, {time.perf_counter() - started:.1f} s"))
            return
        try:
            if scale == "city" and not city:
                city = generator.default_city(province)
            out_dir = out or generator.default_out_dir(scale, seed, city)
            manifest = generator.write_parquet(out_dir, scale=scale, seed=seed, rows=rows, city=city,
                                               province_code=province, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        for name, n in manifest["rows"].items():
            self.stdout.write(f"{name}.parquet: {n:,} rows")
        where = f"city {manifest['city']}" if manifest["city"] else f"province {manifest['province']}"
        self.stdout.write(self.style.SUCCESS(
            f"{scale} scale ({where}, seed {seed}) written to {out_dir} in {elapsed:.1f} s "
            f"({manifest['rows']['enterprises'] / max(elapsed, 1e-9):,.0f} enterprises/s)"))
