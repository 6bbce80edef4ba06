"""The SLA fixtures (Moscow office calendar, standard policy, frozen clock) serve here too."""

from __future__ import annotations

from tests.sla.conftest import clock, msk, office, policy

__all__ = ["clock", "msk", "office", "policy"]
