"""Whatever bytes arrive, the pipeline stores them and ends with a ticket (or a flagged
ticket, or a recorded auto-reply); it never raises and never loses a message."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opora.inbox.email.models import RawMessage
from opora.inbox.email.pipeline import receive_and_process
from opora.tickets.models import Ticket
from tests.inbox.corpus import all_cases

SEEDS = [c.raw for c in all_cases() if c.expected.outcome in ("new", "reply")][:60]
PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def no_flood_limit(settings):
    settings.EMAIL_RATE_LIMIT_PER_HOUR = 1_000_000


def _check_outcome(data: bytes) -> None:
    raw = receive_and_process(data)
    assert bytes(raw.raw) == data
    assert raw.state in ("parsed", "failed", "ignored")
    if raw.state == "ignored":
        assert raw.error  # the reason is recorded
    else:
        assert raw.ticket is not None
        assert Ticket.objects.filter(pk=raw.ticket.pk).exists()
        if raw.state == "failed":
            assert "needs-review" in raw.ticket.tags.values_list("name", flat=True)
    assert RawMessage.objects.filter(pk=raw.pk).exists()


@pytest.mark.django_db
@PROPERTY
@given(data=st.binary(max_size=4000))
def test_arbitrary_bytes_never_raise_and_are_never_lost(data, no_flood_limit, dana):
    _check_outcome(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        pos = draw(st.integers(min_value=0, max_value=max(len(raw) - 1, 0)))
        if kind == "flip" and raw:
            raw[pos] = draw(st.integers(min_value=0, max_value=255))
        elif kind == "insert":
            raw[pos:pos] = draw(st.binary(min_size=1, max_size=40))
        elif kind == "delete" and raw:
            del raw[pos : pos + draw(st.integers(min_value=1, max_value=60))]
        elif kind == "truncate":
            del raw[pos:]
        elif kind == "duplicate" and raw:
            raw[pos:pos] = raw[pos : pos + 200]
    return bytes(raw)


@pytest.mark.django_db
@PROPERTY
@given(data=mutated())
def test_mutated_real_messages_never_raise_and_are_never_lost(data, no_flood_limit, dana):
    _check_outcome(data)


@pytest.mark.django_db
@PROPERTY
@given(
    header=st.sampled_from(["Subject", "From", "Content-Type", "Message-ID", "References", "Cc"]),
    value=st.text(max_size=200),
)
def test_any_header_value_is_survived(header, value, no_flood_limit, dana):
    safe = value.replace("\r", " ").replace("\n", " ")
    data = (
        f"From: Dana <dana@acme.test>\r\n{header}: {safe}\r\nSubject: x\r\n\r\nBody\r\n"
    ).encode("utf-8", "surrogatepass")
    _check_outcome(data)
