# ruff: noqa: RUF001
"""CSV import of 10,000 customers: the upload's check (the preview), the background
job's write (all rows in one transaction, bulk inserts) and the streamed export.

Runs on a fresh desk, on the embedded default (SQLite) or on PostgreSQL with production
durability (`--engine postgresql`). The file is what Russian Excel saves: Windows-1251,
`;` between columns, an organization and a dropdown field per row. The last line is
JSON.

    .venv/bin/python bench/crm_import.py [--engine sqlite|postgresql] [--rows 10000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import base_env, machine, opora, postgres

CODE = """
import json, time
from opora.accounts.actions import create_organization, create_user
from opora.crm import actions, importing
from opora.accounts.models import User

admin = create_user(email="admin@bench.test", password="x" * 12, role="admin", by=None)
create_organization(name="ООО Ромашка", by=admin)
actions.create_field(by=admin, target="customer", key="tier", label_en="Tier", label_ru="Уровень",
    kind="choice", options=[{{"value": "gold"}}, {{"value": "silver"}}])
rows = {rows}
lines = ["Почта;ФИО;Организация;Уровень"]
for n in range(rows):
    org = "ООО Ромашка" if n % 3 else ""
    tier = "gold" if n % 2 else "silver"
    lines.append(f"p{{n}}@bench.test;Иван Петров {{n}};{{org}};{{tier}}")
data = ("\\r\\n".join(lines) + "\\r\\n").encode("cp1251")
t0 = time.perf_counter()
job = importing.upload(by=admin, kind="customers", filename="people.csv", data=data)
t1 = time.perf_counter()
assert job.problems == [], job.problems[:3]
importing.start(job, by=admin)
t2 = time.perf_counter()
done = importing.run(job.pk)
t3 = time.perf_counter()
assert done.state == "done", (done.state, done.error)
size = sum(len(chunk) for chunk in importing.export_rows("customers", by=admin))
t4 = time.perf_counter()
print(json.dumps({{
    "rows": rows,
    "bytes": len(data),
    "preview_s": round(t1 - t0, 3),
    "import_job_s": round(t3 - t2, 3),
    "export_s": round(t4 - t3, 3),
    "export_chars": size,
    "customers": User.objects.filter(email__endswith="@bench.test").count() - 1,
}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with ExitStack() as stack:
        url = stack.enter_context(postgres()) if args.engine == "postgresql" else None
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = base_env(data_dir, url)
        opora("migrate", "--noinput", "-v", "0", env=env)
        out = opora("shell", "-c", CODE.format(rows=args.rows), env=env)
    result = json.loads(out.strip().splitlines()[-1])
    result |= {"engine": args.engine, "machine": machine()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
