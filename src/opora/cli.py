"""The `opora` command: Django's management commands plus Opora's own.

opora serve            start the web server (uvicorn)
opora demo             load the demo data set
opora migrate          create or update the database
opora createsuperuser  create an administrator
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opora", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
