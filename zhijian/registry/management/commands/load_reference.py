from django.core.management.base import BaseCommand

from zhijian.reference import load_all
from zhijian.registry.reference import data_dir


class Command(BaseCommand):
    help = "Load GB/T 2260 divisions, GB/T 4754 industries and the key product catalog."

    def handle(self, *args, **options):
        counts = load_all()
        for name, n in counts.items():
            self.stdout.write(f"{name}: {n}")
        self.stdout.write(self.style.SUCCESS(f"reference data loaded from {data_dir()}"))
