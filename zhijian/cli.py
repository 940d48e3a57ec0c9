"""The ``zhijian`` command: batch work from the terminal.

``zhijian verify-audit`` is ``manage.py verify_audit``; every management command
is reachable with dashes or underscores (``zhijian generate --scale demo``).
"""
import os
import sys


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhijian.settings")
    from django.core.management import execute_from_command_line

    if argv and not argv[0].startswith("-"):
        argv[0] = argv[0].replace("-", "_")
    execute_from_command_line(["zhijian", *argv])


if __name__ == "__main__":
    main()
