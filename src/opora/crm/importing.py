"""CSV import and export of customers and organizations.

An upload is read at once (encoding and separator found, every row checked) and kept as
an `ImportJob` in the "preview" state: the page shows the first rows, the column
mapping and every bad row with its line and reason. Starting the import queues a job
that checks the rows again (the desk may have changed since), committing its progress
as it goes, then writes all of them in one transaction with bulk inserts. If any row is
bad at that moment nothing is written: all or nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import Language, Organization, OrganizationDomain, Role, User
from opora.core import audit, clock
from opora.core.bulk import insert_rows
from opora.core.errors import OporaError, TooLarge, ValidationFailed
from opora.crm import errors
from opora.crm.fields import parse_value
from opora.crm.models import FieldDefinition, ImportJob, ImportKind, ImportState, Target
from opora.crm.selectors import definitions, require_admin

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
PREVIEW_ROWS = 10
CHUNK = 1000
PROBLEMS_KEPT = 1000
# What a column may fill, by kind of import; custom fields are "field:<key>".
COLUMNS = {
    ImportKind.CUSTOMERS: ("email", "name", "organization", "phone", "language", "tags"),
    ImportKind.ORGANIZATIONS: ("name", "domains", "vip", "notes", "tags"),
}
# Header words recognised for each column (English and Russian, as people write them).
ALIASES = {
    "email": {"email", "e-mail", "mail", "почта", "электронная почта", "адрес", "емейл"},
    "name": {"name", "full name", "имя", "фио", "название", "наименование", "клиент"},
    "organization": {"organization", "organisation", "company", "организация", "компания"},
    "phone": {"phone", "telephone", "телефон", "тел"},
    "language": {"language", "lang", "язык"},
    "tags": {"tags", "теги", "метки"},
    "domains": {"domains", "domain", "домены", "домен"},
    "vip": {"vip"},
    "notes": {"notes", "note", "заметки", "примечание"},
}


@dataclass
class Table:
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[list[str]]


def decode(data: bytes) -> tuple[str, str]:
    """The text of an upload and its encoding: UTF-8 (with or without BOM), else
    Windows-1251, which Russian Excel writes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace"), "cp1251"


def _delimiter(first_line: str) -> str:
    """`;` from Russian Excel (where `,` is the decimal mark), tab, or `,`."""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(data: bytes) -> Table:
    if len(data) > MAX_BYTES:
        raise TooLarge(errors.FILE_TOO_LARGE, _("The file is larger than 20 MB."), field="file")
    text, encoding = decode(data)
    text = text.replace("\x00", "")
    first = text.split("\n", 1)[0]
    delimiter = _delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ValidationFailed(errors.BAD_FILE, _("The file is empty."), field="file") from None
    except csv.Error:
        raise ValidationFailed(
            errors.BAD_FILE, _("This is not a CSV file."), field="file"
        ) from None
    rows: list[list[str]] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                rows.append([])  # kept, so line numbers stay the file's
                continue
            rows.append([cell.strip() for cell in row])
            if len(rows) > MAX_ROWS:
                raise ValidationFailed(
                    errors.TOO_MANY_ROWS,
                    _("At most %(count)d rows at once.") % {"count": MAX_ROWS},
                    field="file",
                )
    except csv.Error:
        raise ValidationFailed(
            errors.BAD_FILE, _("This is not a CSV file."), field="file"
        ) from None
    if not any(header):
        raise ValidationFailed(errors.BAD_FILE, _("The first line names no columns."), field="file")
    return Table(encoding, delimiter, header, rows)


def guess_mapping(
    kind: str, header: Sequence[str], defs: Iterable[FieldDefinition]
) -> dict[str, str]:
    """Column index (as text, JSON's keys) -> target, from the header's words."""
    wanted = COLUMNS[ImportKind(kind)]
    by_word: dict[str, str] = {}
    for target in wanted:
        for word in ALIASES.get(target, {target}) | {target}:
            by_word[word] = target
    for d in defs:
        for word in (d.key, d.label_en.lower(), d.label_ru.lower()):
            by_word.setdefault(word, f"field:{d.key}")
    mapping: dict[str, str] = {}
    for n, title in enumerate(header):
        found = by_word.get(title.strip().lower())
        if found and found not in mapping.values():
            mapping[str(n)] = found
    return mapping


def _target(kind: str) -> str:
    return Target.CUSTOMER if kind == ImportKind.CUSTOMERS else Target.ORGANIZATION


def check_mapping(kind: str, mapping: dict[str, str], width: int) -> dict[str, str]:
    keys = {d.key for d in definitions(_target(kind))}
    allowed = set(COLUMNS[ImportKind(kind)]) | {f"field:{k}" for k in keys}
    clean: dict[str, str] = {}
    for column, target in mapping.items():
        if not target:
            continue
        if not str(column).isdigit() or int(column) >= width or target not in allowed:
            raise ValidationFailed(
                errors.BAD_MAPPING,
                _("Column %(column)s cannot fill %(target)s.")
                % {"column": str(column)[:10], "target": str(target)[:60]},
                field="mapping",
            )
        if target in clean.values():
            raise ValidationFailed(
                errors.BAD_MAPPING,
                _("Two columns fill %(target)s.") % {"target": target},
                field="mapping",
            )
        clean[str(int(column))] = target
    needed = "email" if kind == ImportKind.CUSTOMERS else "name"
    if needed not in clean.values():
        raise ValidationFailed(
            errors.BAD_MAPPING,
            _("Choose the column that holds the %(column)s.") % {"column": needed},
            field="mapping",
        )
    return clean


# Checking rows -------------------------------------------------------------------------


@dataclass
class Checked:
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


def _line(index: int) -> int:
    return index + 2  # the header is line 1


def _problem(index: int, code: str, reason: str) -> dict[str, Any]:
    return {"line": _line(index), "code": code, "reason": reason}


def _values(row: Sequence[str], mapping: dict[str, str]) -> dict[str, str]:
    return {
        target: (row[int(col)] if int(col) < len(row) else "") for col, target in mapping.items()
    }


def _fields(values: dict[str, str], defs: dict[str, FieldDefinition]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target, raw in values.items():
        if target.startswith("field:"):
            key = target[6:]
            parsed = parse_value(defs[key], raw)
            if parsed is not None:
                out[key] = parsed
    for key, d in defs.items():
        if d.required and key not in out:
            raise ValidationFailed(
                errors.FIELD_REQUIRED, _("%(label)s is required.") % {"label": d.label_en}
            )
    return out


def _tags(raw: str) -> list[str]:
    return sorted({t.strip().lower()[:40] for t in re.split(r"[,;|]", raw or "") if t.strip()})[:30]


def check_rows(
    kind: str, mapping: dict[str, str], rows: Sequence[Sequence[str]], *, progress: Any = None
) -> Checked:
    """Every row parsed and checked against the file itself and the database.

    Reads in bounded batches (existing addresses and names by chunks of 1000), never a
    query per row. `progress(done)` is called after each chunk."""
    defs = {d.key: d for d in definitions(_target(kind))}
    checked = Checked()
    if kind == ImportKind.CUSTOMERS:
        _check_customers(mapping, rows, defs, checked, progress)
    else:
        _check_organizations(mapping, rows, defs, checked, progress)
    return checked


def _chunks(rows: Sequence[Sequence[str]]) -> Iterator[tuple[int, Sequence[Sequence[str]]]]:
    for start in range(0, len(rows), CHUNK):
        yield start, rows[start : start + CHUNK]


def _check_customers(
    mapping: dict[str, str],
    rows: Sequence[Sequence[str]],
    defs: dict[str, FieldDefinition],
    checked: Checked,
    progress: Any,
) -> None:
    organizations = {
        name.lower(): pk for pk, name in Organization.objects.values_list("pk", "name")
    }
    seen: set[str] = set()
    for start, chunk in _chunks(rows):
        parsed = [_values(row, mapping) if row else None for row in chunk]
        addresses = [p["email"].strip().lower() for p in parsed if p]
        existing = set(User.objects.filter(email__in=addresses).values_list("email", flat=True))
        for offset, values in enumerate(parsed):
            index = start + offset
            if values is None:
                continue
            email = values["email"].strip().lower()
            try:
                validate_email(email)
                if len(email) > 254:
                    raise ValidationError("long")
            except ValidationError:
                checked.problems.append(
                    _problem(
                        index,
                        errors.BAD_EMAIL,
                        _("Not an e-mail address: %(value)s") % {"value": email[:80] or "—"},
                    )
                )
                continue
            if email in seen or email in existing:
                checked.problems.append(
                    _problem(
                        index,
                        errors.DUPLICATE,
                        _("%(email)s is already a customer or listed above.") % {"email": email},
                    )
                )
                continue
            seen.add(email)
            org_name = values.get("organization", "").strip()
            org_id = None
            if org_name:
                org_id = organizations.get(org_name.lower())
                if org_id is None:
                    checked.problems.append(
                        _problem(
                            index,
                            errors.UNKNOWN_ORGANIZATION,
                            _("No organization named %(name)s.") % {"name": org_name[:80]},
                        )
                    )
                    continue
            language = values.get("language", "").strip().lower()[:2]
            try:
                custom = _fields(values, defs)
            except OporaError as exc:
                checked.problems.append(
                    _problem(index, exc.code, f"{_column_name(exc, defs)}{exc.message}")
                )
                continue
            checked.records.append(
                {
                    "email": email,
                    "name": values.get("name", "")[:200],
                    "organization": org_id,
                    "phone": values.get("phone", "")[:40],
                    "language": language if language in Language.values else "",
                    "tags": _tags(values.get("tags", "")),
                    "custom_fields": custom,
                }
            )
        if progress is not None:
            progress(min(start + CHUNK, len(rows)))


def _column_name(exc: OporaError, defs: dict[str, FieldDefinition]) -> str:
    key = (exc.field or "").removeprefix("custom_fields.")
    return f"{defs[key].label_en}: " if key in defs else ""


def _yes(raw: str) -> bool:
    return raw.strip().lower() in {"1", "yes", "true", "y", "да", "+", "x"}


def _check_organizations(
    mapping: dict[str, str],
    rows: Sequence[Sequence[str]],
    defs: dict[str, FieldDefinition],
    checked: Checked,
    progress: Any,
) -> None:
    existing = {n.lower() for n in Organization.objects.values_list("name", flat=True)}
    domains_taken = set(OrganizationDomain.objects.values_list("domain", flat=True))
    seen: set[str] = set()
    for start, chunk in _chunks(rows):
        for offset, row in enumerate(chunk):
            index = start + offset
            if not row:
                continue
            values = _values(row, mapping)
            name = " ".join(values["name"].split())[:200]
            if not name:
                checked.problems.append(_problem(index, errors.REQUIRED, _("A name is required.")))
                continue
            if name.lower() in seen or name.lower() in existing:
                checked.problems.append(
                    _problem(
                        index,
                        errors.DUPLICATE,
                        _("%(name)s already exists or is listed above.") % {"name": name},
                    )
                )
                continue
            domains = [
                d.strip().lower()
                for d in re.split(r"[,;| ]", values.get("domains", ""))
                if d.strip()
            ]
            bad = [d for d in domains if d in domains_taken or "." not in d or "@" in d]
            if bad:
                checked.problems.append(
                    _problem(
                        index,
                        errors.BAD_VALUE,
                        _("Domain %(domain)s is taken or not a domain.") % {"domain": bad[0][:80]},
                    )
                )
                continue
            try:
                custom = _fields(values, defs)
            except OporaError as exc:
                checked.problems.append(
                    _problem(index, exc.code, f"{_column_name(exc, defs)}{exc.message}")
                )
                continue
            seen.add(name.lower())
            domains_taken.update(domains)
            checked.records.append(
                {
                    "name": name,
                    "domains": domains,
                    "vip": _yes(values.get("vip", "")),
                    "notes": values.get("notes", "")[:5000],
                    "tags": _tags(values.get("tags", "")),
                    "custom_fields": custom,
                }
            )
        if progress is not None:
            progress(min(start + CHUNK, len(rows)))


# The job ---------------------------------------------------------------------------------


@transaction.atomic
def upload(*, by: User, kind: str, filename: str, data: bytes) -> ImportJob:
    """Read and check an upload: the preview, nothing imported yet."""
    require_admin(by)
    if kind not in ImportKind.values:
        raise ValidationFailed(
            errors.BAD_VALUE, _("Import customers or organizations."), field="kind"
        )
    table = read_table(data)
    mapping = guess_mapping(kind, table.header, definitions(_target(kind)))
    job = ImportJob(
        kind=kind,
        state=ImportState.PREVIEW,
        created_by=by,
        filename=filename[:255],
        encoding=table.encoding,
        delimiter=table.delimiter,
        header=table.header,
        mapping=mapping,
        rows=table.rows,
        total=sum(1 for r in table.rows if r),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    job.problems = _preview_problems(job)
    job.save()
    return job


def _preview_problems(job: ImportJob) -> list[dict[str, Any]]:
    try:
        mapping = check_mapping(job.kind, job.mapping, len(job.header))
    except OporaError as exc:
        return [{"line": 1, "code": exc.code, "reason": exc.message}]
    return check_rows(job.kind, mapping, job.rows).problems[:PROBLEMS_KEPT]


@transaction.atomic
def remap(job: ImportJob, *, by: User, mapping: dict[str, str]) -> ImportJob:
    """Another column mapping for a previewed file: checked again."""
    require_admin(by)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.state != ImportState.PREVIEW:
        raise ValidationFailed(errors.NOT_READY, _("This import has already started."))
    job.mapping = check_mapping(job.kind, mapping, len(job.header))
    job.problems = _preview_problems(job)
    job.updated_at = clock.now()
    job.save(update_fields=["mapping", "problems", "updated_at"])
    return job


@transaction.atomic
def start(job: ImportJob, *, by: User) -> ImportJob:
    """Queue the import of a previewed file whose rows are all good."""
    from opora.core.tasks import enqueue_after_commit
    from opora.crm.tasks import run_import

    require_admin(by)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.state != ImportState.PREVIEW:
        raise ValidationFailed(errors.NOT_READY, _("This import has already started."))
    check_mapping(job.kind, job.mapping, len(job.header))
    if job.problems:
        raise ValidationFailed(
            errors.BAD_VALUE,
            _("Fix the %(count)d bad rows in the file first: nothing is imported while one is bad.")
            % {"count": len(job.problems)},
        )
    job.state = ImportState.QUEUED
    job.updated_at = clock.now()
    job.save(update_fields=["state", "updated_at"])
    audit.record_change(
        actor=by,
        area="crm",
        action="imported",
        target=job,
        label=job.filename,
        changes={"kind": job.kind, "rows": job.total},
    )
    enqueue_after_commit(run_import, job.pk)
    return job


def run(job_id: int) -> ImportJob | None:
    """The job: check again with committed progress, then write all rows or none."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != ImportState.QUEUED:
            return job
        job.state = ImportState.RUNNING
        job.done = 0
        job.save(update_fields=["state", "done"])

    def progress(done: int) -> None:
        # Checking is half the work on the bar; writing, in one commit, is the rest.
        ImportJob.objects.filter(pk=job_id).update(done=done // 2, updated_at=clock.now())

    checked = check_rows(job.kind, job.mapping, job.rows, progress=progress)
    if checked.problems:
        _finish(
            job,
            ImportState.FAILED,
            problems=checked.problems[:PROBLEMS_KEPT],
            error=_("Nothing was imported: %(count)d rows are bad now.")
            % {"count": len(checked.problems)},
        )
        return job
    try:
        with transaction.atomic():
            if job.kind == ImportKind.CUSTOMERS:
                write_customers(checked.records)
            else:
                write_organizations(checked.records)
            _finish(job, ImportState.DONE, imported=len(checked.records))
    except Exception as exc:  # any failure rolls the whole import back; say why
        _finish(
            job,
            ImportState.FAILED,
            error=_("Nothing was imported: %(reason)s") % {"reason": str(exc)[:300]},
        )
    return job


def _finish(
    job: ImportJob,
    state: str,
    *,
    imported: int = 0,
    problems: list[dict[str, Any]] | None = None,
    error: str = "",
) -> None:
    job.state = state
    job.imported = imported
    job.done = job.total if state == ImportState.DONE else job.done
    job.error = error
    if problems is not None:
        job.problems = problems
    job.finished_at = job.updated_at = clock.now()
    job.save(
        update_fields=[
            "state",
            "imported",
            "done",
            "error",
            "problems",
            "finished_at",
            "updated_at",
        ]
    )


def write_customers(records: Sequence[dict[str, Any]]) -> None:
    """Customers with one insert per 1000 rows; no password (they sign in by link)."""
    unusable = make_password(None)
    now = clock.now()
    domains = dict(OrganizationDomain.objects.values_list("domain", "organization_id"))
    people = [
        User(
            email=r["email"],
            name=r["name"],
            role=Role.CUSTOMER,
            organization_id=r["organization"] or domains.get(r["email"].rsplit("@", 1)[-1]),
            phone=r["phone"],
            language=r["language"] or Language.EN,
            tags=r["tags"],
            custom_fields=r["custom_fields"],
            password=unusable,
            date_joined=now,
        )
        for r in records
    ]
    # Multi-row INSERTs without the ORM's query objects (core/bulk): half the time of
    # bulk_create for 10,000 people of 30-odd columns (bench/crm_import.py).
    # In statements of 1,000 rows: PostgreSQL takes one statement of any size, but a
    # single one of 300,000 parameters is slower to parse than ten of 30,000.
    for start in range(0, len(people), CHUNK):
        insert_rows(User, people[start : start + CHUNK])


def write_organizations(records: Sequence[dict[str, Any]]) -> None:
    now = clock.now()
    organizations = [
        Organization(
            name=r["name"],
            vip=r["vip"],
            notes=r["notes"],
            tags=r["tags"],
            custom_fields=r["custom_fields"],
            created_at=now,
        )
        for r in records
    ]
    Organization.objects.bulk_create(organizations, batch_size=CHUNK)
    ids = dict(
        Organization.objects.filter(name__in=[r["name"] for r in records]).values_list("name", "pk")
    )
    OrganizationDomain.objects.bulk_create(
        [
            OrganizationDomain(organization_id=ids[r["name"]], domain=d)
            for r in records
            for d in r["domains"]
        ],
        batch_size=CHUNK,
    )


# Export ------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(value: Any) -> str:
    """A cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_rows(kind: str, *, by: User) -> Iterator[str]:
    """CSV lines of every customer or organization, read in keyset pages of 2000."""
    require_admin(by)
    defs = definitions(_target(kind))
    writer = csv.writer(_Echo())
    keys = [d.key for d in defs]
    yield "\ufeff"  # Excel reads UTF-8 with a BOM
    if kind == ImportKind.CUSTOMERS:
        yield writer.writerow(["email", "name", "organization", "phone", "language", "tags", *keys])
        last = 0
        while True:
            page = list(
                User.objects.filter(role=Role.CUSTOMER, pk__gt=last, merged_into__isnull=True)
                .order_by("pk")
                .values_list(
                    "pk",
                    "email",
                    "name",
                    "organization__name",
                    "phone",
                    "language",
                    "tags",
                    "custom_fields",
                )[:2000]
            )
            if not page:
                return
            for pk, email, name, org, phone, lang, tags, custom in page:
                custom = custom or {}
                yield writer.writerow(
                    [
                        _safe(v)
                        for v in (
                            email,
                            name,
                            org or "",
                            phone,
                            lang,
                            ", ".join(tags or []),
                            *(custom.get(k, "") for k in keys),
                        )
                    ]
                )
                last = pk
    else:
        yield writer.writerow(["name", "domains", "vip", "notes", "tags", *keys])
        last = 0
        while True:
            orgs = list(
                Organization.objects.filter(pk__gt=last)
                .order_by("pk")
                .prefetch_related("domains")[:2000]
            )
            if not orgs:
                return
            for company in orgs:
                values = company.custom_fields or {}
                yield writer.writerow(
                    [
                        _safe(v)
                        for v in (
                            company.name,
                            " ".join(d.domain for d in company.domains.all()),
                            "yes" if company.vip else "",
                            company.notes,
                            ", ".join(company.tags or []),
                            *(values.get(k, "") for k in keys),
                        )
                    ]
                )
                last = company.pk
