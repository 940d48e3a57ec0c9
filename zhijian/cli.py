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
    argv = _join_app_verb(argv)
    execute_from_command_line(["zhijian", *argv])


def _join_app_verb(argv: list[str]) -> list[str]:
    """``zhijian credit grade …`` is ``zhijian credit_grade …`` when ``credit`` is no command itself
    and ``credit_grade`` is one."""
    if len(argv) < 2 or argv[0].startswith("-") or argv[1].startswith("-"):
        return argv
    import django
    from django.core.management import get_commands

    django.setup()
    commands = get_commands()
    joined = f"{argv[0]}_{argv[1].replace('-', '_')}"
    if argv[0] not in commands and joined in commands:
        return [joined, *argv[2:]]
    return argv


if __name__ == "__main__":
    main()
