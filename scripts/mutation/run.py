#!/usr/bin/env python3
"""Mutation testing of the central modules with mutmut; prints each module's kill rate.

    make mutation                                   every module below
    make mutation MUTATION_MODULES="sla threading"  some of them
    .venv/bin/python scripts/mutation/run.py --report-only   the table of the last run

Each module is mutated on its own, in var/mutation/<name>/, against only the test files
that are about it, on SQLite. A mutant counts as detected when a test fails or the tests
time out; "no tests" (no selected test runs that code) counts as not detected. The
survivors and why each is accepted are in docs/mutation.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
WORK = ROOT / "var" / "mutation"
# Every command run below is one of this environment's own executables.
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Module:
    name: str
    source: str
    tests: tuple[str, ...]
    # Below this kill rate (percent) the run fails.
    fail_under: float = 85.0


# The ticket actions: every change (actions.py), opening tickets (opening.py), adding
# messages (replies.py) and the small writes they share (transitions.py).
ACTION_TESTS = (
    *(
        f"tests/tickets/test_{name}.py"
        for name in (
            "create",
            "update",
            "messages",
            "merge_and_problem",
            "bad_input",
            "channel_actions",
            "numbering",
            "time_entries",
            "state_changes",
            "one_change",
            "write_paths",
        )
    ),
    # What a reply does to the SLA clock (due moments, next response).
    "tests/sla/test_due_boundaries.py",
    # Status events are stamped with the change's own moment, which the clock reads.
    "tests/sla/test_due_dates.py::test_status_changes_move_the_clock_at_once_in_real_time",
    # The answer bot's replies and a customer's answer to it go through add_messages.
    "tests/automation/test_answer_bot.py",
    # A solved ticket asks for a rating, after commit.
    "tests/feedback/test_rating.py",
)

MODULES = (
    Module(
        "sla",
        "src/opora/sla/clock.py",
        # The KPI report reads what the clock records (times per line, replies, costs).
        ("tests/sla", "tests/reports/test_kpis.py"),
    ),
    Module(
        "selectors",
        "src/opora/tickets/selectors.py",
        (
            "tests/tickets/test_access.py",
            "tests/tickets/test_permissions.py",
            "tests/tickets/test_list.py",
            "tests/tickets/test_time_entries.py",
            "tests/tickets/test_visibility_rules.py",
            # The agents' queue: its query count, due-time order and time card.
            "tests/agent/test_queue.py",
            "tests/agent/test_time_card.py",
        ),
    ),
    Module(
        "threading",
        "src/opora/inbox/email/threading.py",
        # Not test_batch.py: it replays the whole corpus twice (slow for every survivor).
        ("tests/inbox/test_pipeline.py", "tests/inbox/test_threading_rules.py"),
    ),
    *(
        Module(name, f"src/opora/tickets/{name}.py", ACTION_TESTS)
        for name in ("actions", "opening", "replies", "transitions")
    ),
)

# pytest options of every mutation run: the migrated SQLite copy (sqlite_template.py),
# no cache directory written into the copied tree, no xdist (mutmut runs the workers).
PYTEST_ARGS = ["-p", "sqlite_template", "--reuse-db", "-p", "no:cacheprovider", "-p", "no:xdist"]

DETECTED = {"killed", "timeout", "caught by type check"}


def _toml_value(value: object) -> str:
    # JSON strings, numbers, booleans and lists of them are valid TOML too.
    return json.dumps(value)


def _pyproject(module: Module) -> str:
    """The project's pytest settings and the mutmut settings for one module."""
    with (ROOT / "pyproject.toml").open("rb") as fh:
        pytest_options = tomllib.load(fh)["tool"]["pytest"]["ini_options"]
    lines = ["[tool.pytest.ini_options]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in pytest_options.items()]
    lines += [
        "",
        "[tool.mutmut]",
        f"source_paths = {_toml_value(['src'])}",
        f"only_mutate = {_toml_value([module.source])}",
        f"pytest_add_cli_args = {_toml_value(PYTEST_ARGS)}",
        f"pytest_add_cli_args_test_selection = {_toml_value(_existing(module.tests))}",
        # Results are not reused across runs: tests change between them.
        "use_git_change_detection = false",
        "",
    ]
    return "\n".join(lines)


def _existing(tests: tuple[str, ...]) -> list[str]:
    missing = [t for t in tests if not (ROOT / t.partition("::")[0]).exists()]
    if missing:
        print(f"warning: no such test path(s): {', '.join(missing)}", file=sys.stderr)
    return [t for t in tests if t not in missing]


def _prepare(module: Module) -> Path:
    """A fresh work directory whose src/ and tests/ are the project's own."""
    workdir = WORK / module.name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    (workdir / "src").symlink_to(ROOT / "src")
    (workdir / "tests").symlink_to(ROOT / "tests")
    (workdir / "pyproject.toml").write_text(_pyproject(module))
    return workdir


def _template_db(env: dict[str, str]) -> Path:
    """One migrated SQLite database that every test session of the run copies."""
    template = WORK / "template.sqlite3"
    for path in WORK.glob("template.sqlite3*"):
        path.unlink()
    subprocess.run(  # noqa: S603
        [str(BIN / "opora"), "migrate", "--noinput", "--verbosity", "0"],
        env={**env, "OPORA_DATABASE_URL": f"sqlite:///{template}"},
        check=True,
    )
    return template


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPORA_DATABASE_URL"}
    env["OPORA_DATA_DIR"] = str(WORK / "data")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent), *filter(None, [env.get("PYTHONPATH")])]
    )
    return env


def _run(module: Module, *, jobs: int, env: dict[str, str]) -> None:
    workdir = _prepare(module)
    log = workdir / "mutmut.log"
    print(f"{module.name}: mutating {module.source} (log: {log.relative_to(ROOT)})", flush=True)
    with log.open("w") as out:
        done = subprocess.run(  # noqa: S603
            [str(BIN / "mutmut"), "run", "--max-children", str(jobs)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        print(log.read_text()[-4000:], file=sys.stderr)
        raise SystemExit(f"{module.name}: mutmut failed (exit {done.returncode})")


@dataclass
class Result:
    module: Module
    statuses: dict[str, str]

    def count(self, *statuses: str) -> int:
        return sum(1 for s in self.statuses.values() if s in statuses)

    @property
    def rate(self) -> float:
        total = len(self.statuses)
        return 100.0 * self.count(*DETECTED) / total if total else 0.0

    @property
    def survivors(self) -> list[str]:
        return sorted(
            (name for name, s in self.statuses.items() if s not in DETECTED),
            key=_natural,
        )


def _natural(name: str) -> tuple[str, int]:
    stem, _, number = name.rpartition("_")
    return (stem, int(number) if number.isdigit() else 0)


def _result(module: Module) -> Result | None:
    from mutmut.stats import status_by_exit_code

    meta = WORK / module.name / "mutants" / f"{module.source}.meta"
    if not meta.exists():
        return None
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return Result(module, {name: status_by_exit_code[code] for name, code in codes.items()})


def _changed_line(module: Module, mutant: str) -> str:
    """The mutated line(s) of a mutant: what `mutmut show` prints, read in this process."""
    from mutmut.configuration import reset_config
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    here = Path.cwd()
    os.chdir(WORK / module.name)
    try:
        reset_config()  # mutmut reads the work directory's pyproject.toml
        diff = get_diff_for_mutant(mutant, path=module.source)
    finally:
        os.chdir(here)
    lines = diff.splitlines()
    added = [x[1:].strip() for x in lines if x.startswith("+") and not x.startswith("+++")]
    removed = [x[1:].strip() for x in lines if x.startswith("-") and not x.startswith("---")]
    if any(any(c.isalnum() for c in line) for line in added):
        return " / ".join(added)
    # Only something left out (an argument, a line): name what was dropped.
    return "drops " + " / ".join(line for line in removed if line not in added)


def _report(results: list[Result]) -> bool:
    header = (
        f"{'module':<42} {'mutants':>7} {'killed':>6} {'survived':>8} {'timeout':>7} "
        f"{'no tests':>8} {'kill rate':>9}"
    )
    print()
    print(header)
    print("-" * len(header))
    ok = True
    for r in results:
        below = r.rate < r.module.fail_under
        ok = ok and not below
        print(
            f"{r.module.source:<42} {len(r.statuses):>7} {r.count('killed'):>6} "
            f"{r.count('survived'):>8} {r.count('timeout'):>7} {r.count('no tests'):>8} "
            f"{r.rate:>8.1f}%" + (f"  (below {r.module.fail_under:.0f}%)" if below else "")
        )
    for r in results:
        if not r.survivors:
            continue
        print(f"\nSurvivors in {r.module.source}:")
        for name in r.survivors:
            short = name.removeprefix(_dotted(r.module.source) + ".")
            print(f"  {short} [{r.statuses[name]}]: {_changed_line(r.module, name)}")
    print(
        "\nWhy each survivor is accepted: docs/mutation.md. "
        "A mutant's diff: cd var/mutation/<module> && ../../../.venv/bin/mutmut show <name>"
    )
    return ok


def _dotted(source: str) -> str:
    return source.removeprefix("src/").removesuffix(".py").replace("/", ".")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="names: " + ", ".join(m.name for m in MODULES))
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--report-only", action="store_true", help="print the last run's table")
    args = parser.parse_args()
    known = {m.name: m for m in MODULES}
    unknown = [name for name in args.modules if name not in known]
    if unknown:
        parser.error(f"unknown module(s): {', '.join(unknown)}; known: {', '.join(known)}")
    chosen = [known[name] for name in args.modules] or list(MODULES)

    env = _environment()
    if not args.report_only:
        WORK.mkdir(parents=True, exist_ok=True)
        env["OPORA_MUTATION_TEMPLATE_DB"] = str(_template_db(env))
        for module in chosen:
            _run(module, jobs=args.jobs, env=env)
    results = [r for r in map(_result, chosen) if r is not None]
    if not results:
        print("No results yet: run `make mutation` first.", file=sys.stderr)
        return 1
    return 0 if _report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
