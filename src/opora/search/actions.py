"""Writes of the synonym vocabulary: administrators add, change and delete groups, each
change audited in its transaction. Every process sees a change within seconds
(`synonyms.CHECK_EVERY`); the one that saved it, at once."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from opora.accounts.models import User
from opora.accounts.selectors import require_admin
from opora.core import audit, clock
from opora.core.errors import ValidationFailed
from opora.search import errors, synonyms
from opora.search.models import SynonymGroup

MAX_PHRASES = 20
MAX_PHRASE_CHARS = 120
FIELDS = ("language", "phrases")


def _language(value: str) -> str:
    if value not in synonyms.LANGUAGES:
        raise ValidationFailed(
            errors.INVALID_LANGUAGE, _("Choose English or Russian."), field="language"
        )
    return value


def clean_phrases(values: Sequence[str]) -> list[str]:
    """Phrases as stored: spaces collapsed, repeats dropped; two to twenty, each with a
    word search can use (a phrase of stop words only would never match)."""
    phrases: list[str] = []
    for value in values:
        phrase = " ".join(str(value).split())
        if not phrase or phrase.lower() in (p.lower() for p in phrases):
            continue
        if len(phrase) > MAX_PHRASE_CHARS:
            raise ValidationFailed(
                errors.PHRASE_TOO_LONG,
                _("A phrase may have at most %(n)d characters.") % {"n": MAX_PHRASE_CHARS},
                field="phrases",
            )
        if not synonyms.compile_phrase(phrase):
            raise ValidationFailed(
                errors.EMPTY_PHRASE,
                _("“%(phrase)s” has no word search can use.") % {"phrase": phrase},
                field="phrases",
            )
        phrases.append(phrase)
    if len(phrases) < 2:
        raise ValidationFailed(
            errors.TOO_FEW_PHRASES, _("A group needs at least two phrases."), field="phrases"
        )
    if len(phrases) > MAX_PHRASES:
        raise ValidationFailed(
            errors.TOO_MANY_PHRASES,
            _("A group may have at most %(n)d phrases.") % {"n": MAX_PHRASES},
            field="phrases",
        )
    return phrases


@transaction.atomic
def create_synonym_group(*, by: User, language: str, phrases: Sequence[str]) -> SynonymGroup:
    require_admin(by)
    now = clock.now()
    group = SynonymGroup.objects.create(
        language=_language(language),
        phrases=clean_phrases(phrases),
        created_at=now,
        updated_at=now,
    )
    audit.record_change(
        actor=by, area="kb", action="created", target=group, changes=audit.snapshot(group, FIELDS)
    )
    transaction.on_commit(synonyms.changed)
    synonyms.changed()
    return group


@transaction.atomic
def update_synonym_group(
    group: SynonymGroup, *, by: User, language: str, phrases: Sequence[str]
) -> SynonymGroup:
    require_admin(by)
    before = audit.snapshot(group, FIELDS)
    group.language = _language(language)
    group.phrases = clean_phrases(phrases)
    group.updated_at = clock.now()
    group.save(update_fields=["language", "phrases", "updated_at"])
    audit.record_change(
        actor=by,
        area="kb",
        action="changed",
        target=group,
        changes=audit.diff(before, audit.snapshot(group, FIELDS)),
    )
    transaction.on_commit(synonyms.changed)
    synonyms.changed()
    return group


@transaction.atomic
def delete_synonym_group(group: SynonymGroup, *, by: User) -> None:
    require_admin(by)
    audit.record_change(
        actor=by, area="kb", action="deleted", target=group, changes=audit.snapshot(group, FIELDS)
    )
    group.delete()
    transaction.on_commit(synonyms.changed)
    synonyms.changed()


@transaction.atomic
def restore_shipped_groups(*, by: User, language: str | None = None) -> int:
    """Add back the shipped groups of which no phrase is in the vocabulary any more.

    Administrators' own groups and their edits of shipped ones stay as they are: a
    shipped group comes back only when none of its phrases is in any group of its
    language (so an edited group is not doubled). Returns how many came back."""
    require_admin(by)
    languages = [_language(language)] if language else list(synonyms.LANGUAGES)
    now = clock.now()
    added: list[SynonymGroup] = []
    for lang in languages:
        present = {
            phrase.casefold()
            for phrases in SynonymGroup.objects.filter(language=lang).values_list(
                "phrases", flat=True
            )
            for phrase in phrases
        }
        for phrases in synonyms.shipped_groups(lang):
            if any(p.casefold() in present for p in phrases):
                continue
            added.append(
                SynonymGroup.objects.create(
                    language=lang, phrases=phrases, created_at=now, updated_at=now
                )
            )
            present.update(p.casefold() for p in phrases)
    if added:
        audit.record_change(
            actor=by,
            area="kb",
            action="restored",
            target_type="synonymgroup",
            label="shipped synonym groups",
            changes={"added": [[], [g.phrases for g in added]]},
        )
        transaction.on_commit(synonyms.changed)
        synonyms.changed()
    return len(added)
