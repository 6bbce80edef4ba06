"""Whether a message is from whom it says: SPF, DKIM and DMARC results.

The results are read from Authentication-Results headers (RFC 8601), and only from
those a host the desk trusts added (`OPORA_TRUSTED_AUTHSERV_IDS`; and `opora smtpd`'s
own, which it writes after checking DKIM itself, see dkim.py): anyone can write such a
header into the mail they send. The trusted headers counted are the first ones from
the top, down to the first header of another host: the receiving host adds its
results last, so they sit above whatever the sender put in.

A message whose DMARC check failed for its From domain is "possibly forged": it opens
a ticket of its own, flagged, and never threads into the ticket of the person it
claims to be from (pipeline.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from django.conf import settings

from opora.inbox.email.parse import ParsedMail

FORGED_TAG = "possibly-forged"
_COMMENT = re.compile(r"\([^()]*\)")
_PROPERTY = re.compile(r"([a-z]+)\.([a-z0-9_-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.IGNORECASE)
_RESULT = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z]+)", re.IGNORECASE)


@dataclass
class Verdict:
    """The checks of one message as its trusted receiving host reported them."""

    authserv_id: str = ""
    spf: str = ""  # pass, fail, softfail, neutral, none, temperror, permerror; "" unknown
    dkim: str = ""  # the best DKIM result: "pass" if any signature passed
    dmarc: str = ""
    dmarc_domain: str = ""  # header.from of the DMARC result
    dkim_domains: list[str] = field(default_factory=list)  # header.d of passing signatures

    @property
    def known(self) -> bool:
        return bool(self.authserv_id)


def _strip_comments(value: str) -> str:
    previous = None
    while previous != value:  # nested comments, innermost first
        previous, value = value, _COMMENT.sub(" ", value)
    return value


def parse_header(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    """(authserv-id, [(method, result, {ptype.property: value})]) of one header."""
    parts = [p.strip() for p in _strip_comments(" ".join(value.split())).split(";")]
    if not parts or not parts[0]:
        return "", []
    authserv_id = parts[0].split()[0].lower()  # an optional version number follows
    results = []
    for part in parts[1:]:
        match = _RESULT.match(part)
        if not match or part.strip().lower() == "none":
            continue
        props = {
            f"{m.group(1).lower()}.{m.group(2).lower()}": m.group(3).strip('"').lower()
            for m in _PROPERTY.finditer(part[match.end() :])
        }
        results.append((match.group(1).lower(), match.group(2).lower(), props))
    return authserv_id, results


def trusted_ids(source: str) -> set[str]:
    """Whose Authentication-Results count for a message received by `source`."""
    ids = set(settings.TRUSTED_AUTHSERV_IDS)
    if source == "smtp":
        ids.add(settings.AUTHSERV_ID.lower())
    return ids


def verdict(headers: list[str], trusted: Collection[str]) -> Verdict:
    """The results of the topmost run of headers written by a trusted host."""
    out = Verdict()
    started = False
    for value in headers:
        authserv_id, results = parse_header(value)
        if authserv_id not in trusted:
            if started:
                break  # below the trusted host's own headers: written by someone else
            continue
        started = True
        out.authserv_id = out.authserv_id or authserv_id
        for method, result, props in results:
            if method == "dkim":
                if result == "pass":
                    out.dkim = "pass"
                    if props.get("header.d"):
                        out.dkim_domains.append(props["header.d"])
                elif out.dkim != "pass":
                    out.dkim = out.dkim or result
            elif method == "spf" and not out.spf:
                out.spf = result
            elif method == "dmarc" and not out.dmarc:
                out.dmarc = result
                out.dmarc_domain = props.get("header.from", "")
    return out


def possibly_forged(mail: ParsedMail, sender: str, found: Verdict) -> bool:
    """DMARC failed for the domain the message claims to be from."""
    if found.dmarc != "fail" or not sender:
        return False
    domain = sender.rpartition("@")[2].lower()
    claimed = found.dmarc_domain or (mail.from_address.rpartition("@")[2].lower())
    return claimed == domain
