"""Error codes of search's own settings (the synonym vocabulary), returned by the API."""

from __future__ import annotations

INVALID_LANGUAGE = "invalid_language"
TOO_FEW_PHRASES = "too_few_phrases"
TOO_MANY_PHRASES = "too_many_phrases"
PHRASE_TOO_LONG = "phrase_too_long"
EMPTY_PHRASE = "empty_phrase"
