"""Benchmark: one month of every KPI over a year of history with 1,000,000 tickets.

    scripts/with-postgres .venv/bin/python bench/reports.py [--tickets 1000000]

Generates the history inside PostgreSQL with generate_series (tickets, their SLA rows,
creation/reply/solve events, time entries, rating requests and ratings), then times
`opora.reports.kpis.all_kpis` for the last full month, unfiltered and per team.
Prints figures, then a JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from opora.reports.kpis import KPIS, ReportFilter, all_kpis  # noqa: E402

END = datetime(2026, 11, 1, tzinfo=UTC)
AGENTS, CUSTOMERS, ORGS, TEAMS = 60, 20_000, 400, 6

PEOPLE_SQL = """
INSERT INTO accounts_organization (name, shared_tickets, notes, created_at, vip)
SELECT 'Org ' || g, g %% 3 = 0, '', %(start)s, false FROM generate_series(1, %(orgs)s) g;
INSERT INTO accounts_team (name, email, description, created_at)
SELECT 'Team ' || g, '', '', %(start)s FROM generate_series(1, %(teams)s) g;
INSERT INTO accounts_user (password, email, name, role, support_line, is_team_lead,
  organization_id, language, time_zone, phone, is_active, is_staff, is_superuser,
  date_joined, cost_per_hour, notify_by_email, skills, languages, blocked, signature,
  notify_new_in_team, notify_assigned, notify_customer_replied, notify_sla)
SELECT '!', 'agent' || g || '@bench.test', 'Agent ' || g, 'agent', 1 + g %% 3, g %% 10 = 0,
  NULL, 'ru', 'Europe/Moscow', '', true, false, false, %(start)s, 900 + (g %% 7) * 150, true,
  '[]', '[]', false, '', true, true, true, true
FROM generate_series(1, %(agents)s) g;
INSERT INTO accounts_user (password, email, name, role, support_line, is_team_lead,
  organization_id, language, time_zone, phone, is_active, is_staff, is_superuser,
  date_joined, cost_per_hour, notify_by_email, skills, languages, blocked, signature,
  notify_new_in_team, notify_assigned, notify_customer_replied, notify_sla)
SELECT '!', 'customer' || g || '@bench.test', 'Customer ' || g, 'customer', NULL, false,
  (SELECT min(id) FROM accounts_organization) + g %% %(orgs)s, 'ru', 'Europe/Moscow', '',
  true, false, false, %(start)s, 0, true, '[]', '[]', false, '', true, true, true, true
FROM generate_series(1, %(customers)s) g;
"""

TICKETS_SQL = """
SET session_replication_role = replica;
SELECT setseed(0.42);
CREATE TEMP TABLE gen AS
SELECT g AS n,
  -- tickets arrive in time order, as they do in a running desk
  %(end)s::timestamptz - interval '365 days'
    + interval '365 days' * (g::float8 / %(tickets)s) AS created,
  random() AS r_status, random() AS r_prio, random() AS r_type, random() AS r_chan,
  random() AS r_fr, random() AS r_res, random() AS r_esc, random() AS r_misc,
  (SELECT min(id) FROM accounts_user WHERE role = 'customer') + (g %% %(customers)s) AS requester,
  (SELECT min(id) FROM accounts_user WHERE role = 'agent') + (g %% %(agents)s) AS agent,
  (SELECT min(id) FROM accounts_team) + (g %% %(teams)s) AS team,
  (SELECT min(id) FROM accounts_organization) + (g %% %(customers)s) %% %(orgs)s AS org
FROM generate_series(1, %(tickets)s) g;
ALTER TABLE gen ADD COLUMN status text;
UPDATE gen SET status =
  CASE WHEN created > %(end)s::timestamptz - interval '10 days' AND r_status < 0.5
       THEN (ARRAY['new','open','pending','on_hold'])[1 + (n %% 4)]
       WHEN r_status < 0.02 THEN 'open'
       WHEN r_status < 0.6 THEN 'closed' ELSE 'solved' END;
CREATE UNIQUE INDEX gen_n ON gen (n);
ANALYZE gen;
INSERT INTO tickets_ticket (number, subject, requester_id, organization_id, team_id,
  assignee_id, status, priority, type, line, channel, language, created_at, updated_at,
  first_response_at, solved_at, closed_at, first_response_due_at, resolution_due_at)
SELECT n, 'Ticket ' || n, requester, org, team, agent, status,
  CASE WHEN r_prio < 0.2 THEN 1 WHEN r_prio < 0.75 THEN 2 WHEN r_prio < 0.95 THEN 3 ELSE 4 END,
  (ARRAY['question','incident','incident','problem','complaint','suggestion'])
    [1 + floor(r_type * 6)::int],
  CASE WHEN r_esc < 0.85 THEN 1 WHEN r_esc < 0.97 THEN 2 ELSE 3 END,
  (ARRAY['email','email','web','chat','telegram','phone','api'])[1 + floor(r_chan * 7)::int],
  'ru', created, created + interval '1 hour' * (1 + r_res * 200),
  created + interval '1 minute' * (5 + r_fr * 600),
  CASE WHEN status IN ('solved', 'closed') THEN created + interval '1 hour' * (1 + r_res * 200) END,
  CASE WHEN status = 'closed' THEN created + interval '1 hour' * (100 + r_res * 200) END,
  created + interval '4 hours', created + interval '40 hours'
FROM gen ORDER BY n;
INSERT INTO sla_ticketsla (ticket_id, state, paused, first_response_seconds,
  resolution_seconds, agent_replies, reopens, first_response_breached, resolution_breached,
  level, level_since, line1_seconds, line2_seconds, line3_seconds, lead_seconds,
  escalations, updated_at, due_at, warn_at, created_at, first_response_at, solved_at,
  team_id, assignee_id, organization_id, channel, priority, type, logged_minutes, logged_cost)
SELECT t.id,
  CASE WHEN g.r_fr > 0.9 OR g.r_res > 0.85 THEN 'breached' ELSE 'ok' END,
  t.status = 'pending',
  (60 * (5 + g.r_fr * 600) * 0.45)::int,
  CASE WHEN t.solved_at IS NOT NULL THEN (3600 * (1 + g.r_res * 200) * 0.3)::int END,
  1 + (g.r_misc * 3)::int %% 3, CASE WHEN g.r_misc > 0.93 THEN 1 ELSE 0 END,
  g.r_fr > 0.9,
  CASE WHEN t.solved_at IS NOT NULL THEN g.r_res > 0.85 END,
  t.line::text, CASE WHEN t.solved_at IS NULL THEN t.created_at END,
  (3600 * (1 + g.r_res * 60))::int,
  CASE WHEN t.line >= 2 THEN (3600 * (1 + g.r_res * 80))::int ELSE 0 END,
  CASE WHEN t.line = 3 THEN (3600 * (1 + g.r_res * 40))::int ELSE 0 END,
  CASE WHEN g.r_esc > 0.99 THEN 7200 ELSE 0 END,
  t.line - 1 + CASE WHEN g.r_esc > 0.99 THEN 1 ELSE 0 END,
  t.updated_at,
  CASE WHEN t.solved_at IS NULL THEN t.resolution_due_at END,
  CASE WHEN t.solved_at IS NULL THEN t.resolution_due_at - interval '8 hours' END,
  t.created_at, t.first_response_at, t.solved_at,
  t.team_id, t.assignee_id, t.organization_id, t.channel, t.priority, t.type,
  CASE WHEN t.solved_at IS NOT NULL AND g.r_type < 0.7
       THEN 5 + (g.r_misc * 115)::int ELSE 0 END,
  CASE WHEN t.solved_at IS NOT NULL AND g.r_type < 0.7
       THEN round((5 + (g.r_misc * 115)::int) * (900 + (t.assignee_id %% 7) * 150) / 60.0, 2)
       ELSE 0 END
FROM tickets_ticket t JOIN gen g ON g.n = t.number ORDER BY t.id;
INSERT INTO tickets_event (ticket_id, actor_id, kind, old, new, data, created_at)
SELECT id, NULL, 'created', '', 'new', '{}'::jsonb, created_at FROM tickets_ticket
UNION ALL
SELECT id, assignee_id, 'reply_added', '', '0', '{}'::jsonb, first_response_at FROM tickets_ticket
UNION ALL
SELECT id, assignee_id, 'status_changed', 'open', 'solved', '{}'::jsonb, solved_at
FROM tickets_ticket WHERE solved_at IS NOT NULL;
INSERT INTO tickets_timeentry (ticket_id, agent_id, minutes, note, rate_per_hour, created_at)
SELECT t.id, t.assignee_id, 5 + (g.r_misc * 115)::int, '',
  900 + (t.assignee_id %% 7) * 150, t.solved_at
FROM tickets_ticket t JOIN gen g ON g.n = t.number
WHERE t.solved_at IS NOT NULL AND g.r_type < 0.7;
INSERT INTO feedback_ratingrequest (ticket_id, sent_at)
SELECT id, solved_at FROM tickets_ticket WHERE solved_at IS NOT NULL;
INSERT INTO feedback_rating (ticket_id, score, comment, created_at, updated_at)
SELECT t.id, 1 + (g.r_prio * 4.99)::int %% 5,
  '', t.solved_at + interval '3 hours', t.solved_at + interval '3 hours'
FROM tickets_ticket t JOIN gen g ON g.n = t.number
WHERE t.solved_at IS NOT NULL AND g.r_misc < 0.25;
SELECT setval('tickets_ticket_number_seq', (SELECT max(number) FROM tickets_ticket));
SET session_replication_role = DEFAULT;
VACUUM ANALYZE;
"""


def run_sql(sql: str, params: dict[str, object]) -> None:
    with connection.cursor() as cursor:
        for statement in [s.strip() for s in sql.split(";\n") if s.strip()]:
            started = time.perf_counter()
            cursor.execute(statement, params)
            took = time.perf_counter() - started
            if took > 1:
                print(f"  {took:5.1f} s  {statement.split(chr(10))[0][:70]}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--reuse", action="store_true", help="time the history already in the database"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("run with scripts/with-postgres (PostgreSQL is the production database)")

    call_command("migrate", verbosity=0)
    params: dict[str, object] = {
        "start": datetime(2025, 1, 1, tzinfo=UTC),
        "end": END,
        "orgs": ORGS,
        "teams": TEAMS,
        "agents": AGENTS,
        "customers": CUSTOMERS,
        "tickets": args.tickets,
    }
    t0 = time.perf_counter()
    if not args.reuse:
        run_sql(PEOPLE_SQL, params)
        run_sql(TICKETS_SQL, params)
    generate = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        tickets = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tickets_event")
        events = cursor.fetchone()[0]
        cursor.execute("SELECT min(id) FROM accounts_team")
        team = cursor.fetchone()[0]
    print(f"generated {tickets} tickets, {events} events in {generate:.1f} s")

    month = ReportFilter(
        start=datetime(2026, 10, 1, tzinfo=UTC), end=datetime(2026, 11, 1, tzinfo=UTC)
    )
    by_team = ReportFilter(start=month.start, end=month.end, team=team)
    all_kpis(month)  # warm the connection and caches once, as a running server would be
    timings: dict[str, list[float]] = {"month": [], "month_team": []}
    result = {}
    for _ in range(args.repeat):
        for name, f in (("month", month), ("month_team", by_team)):
            start = time.perf_counter()
            result = all_kpis(f) if name == "month" else (all_kpis(f) and result)
            timings[name].append(time.perf_counter() - start)
    for name, values in timings.items():
        print(
            f"{name}: every KPI in median {statistics.median(values) * 1000:.0f} ms "
            f"(best {min(values) * 1000:.0f} ms, {len(values)} runs)"
        )
    for name, fn in KPIS.items():
        took = []
        for f in (month, by_team):
            start = time.perf_counter()
            fn(f)
            took.append((time.perf_counter() - start) * 1000)
        print(f"  {name}: {took[0]:.0f} ms, one team {took[1]:.0f} ms")
    print(f"one month: NST {result['nst']}, solved {result['solved']}, NTB {result['ntb']}")
    summary = {
        "benchmark": "reports",
        "tickets": tickets,
        "events": events,
        "generate_seconds": round(generate, 1),
        "month_all_kpis_ms_median": round(statistics.median(timings["month"]) * 1000, 1),
        "month_all_kpis_ms_best": round(min(timings["month"]) * 1000, 1),
        "month_team_all_kpis_ms_median": round(statistics.median(timings["month_team"]) * 1000, 1),
        "month_nst": result["nst"],
        "month_solved": result["solved"],
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
