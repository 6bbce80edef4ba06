"""Telegram: a bot per desk (or per team), by webhook or by polling (docs/channels.md)."""
