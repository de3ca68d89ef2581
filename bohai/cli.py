"""The `bohai` command: Django's management commands under the platform's own name.

    bohai setup | serve | worker | demo | audit verify | backup | restore | import persons FILE …
"""
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bohai.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["bohai", *sys.argv[1:]])


if __name__ == "__main__":
    main()
