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
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"] and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Several web processes share one metrics directory, so /metrics sums them; it
        # must be set before anything imports prometheus_client.
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="opora-metrics-")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opora", *args])


if __name__ == "__main__":
    main()
