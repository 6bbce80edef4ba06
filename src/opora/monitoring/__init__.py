"""Site monitoring: checks of the company's sites and services, their results, and the
incidents they open as problem tickets (see docs/monitoring.md)."""
