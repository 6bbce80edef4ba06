"""Telephony: phone calls from a PBX or cloud telephony on tickets (docs/channels.md,
"Phone")."""
