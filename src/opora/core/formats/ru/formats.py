"""Russian: digits grouped by a narrow no-break space (1 234 567,5), the typographic
rule for numbers, instead of Django's full-width no-break space."""

THOUSAND_SEPARATOR = "\u202f"
