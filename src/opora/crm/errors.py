"""Error codes of customer records: fields, forms, notes, contracts and imports."""

from __future__ import annotations

ADMINS_ONLY = "admins_only"
AGENTS_ONLY = "agents_only"
# Field definitions
BAD_KEY = "bad_key"
KEY_TAKEN = "key_taken"
BAD_OPTIONS = "bad_options"
BAD_RANGE = "bad_range"
REQUIRED = "required"
# Values
UNKNOWN_FIELD = "unknown_field"
FIELD_REQUIRED = "field_required"
NOT_A_NUMBER = "not_a_number"
OUT_OF_RANGE = "out_of_range"
BAD_DATE = "bad_date"
UNKNOWN_OPTION = "unknown_option"
TOO_LONG = "too_long"
# Forms
NOT_A_TICKET_FIELD = "not_a_ticket_field"
# Contracts
UNKNOWN_CALENDAR = "unknown_calendar"
UNKNOWN_POLICY = "unknown_policy"
NOT_A_CUSTOMER = "not_a_customer"
# Import
BAD_FILE = "bad_file"
FILE_TOO_LARGE = "file_too_large"
TOO_MANY_ROWS = "too_many_rows"
BAD_MAPPING = "bad_mapping"
NOT_READY = "not_ready"
BAD_EMAIL = "bad_email"
DUPLICATE = "duplicate"
UNKNOWN_ORGANIZATION = "unknown_organization"
BAD_VALUE = "bad_value"
