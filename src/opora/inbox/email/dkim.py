"""DKIM: checking the signatures of mail our own SMTP/LMTP receiver takes, and signing
the mail the desk sends with a key per mailbox domain (dkimpy).

Checking: each DKIM-Signature is verified (up to five), and DMARC is judged from DKIM
alone: "pass" when a passing signature's domain aligns with the From domain; "fail"
when none does and the From domain publishes a DMARC policy of "quarantine" or
"reject" (domains that ask that sign their mail); else "none". SPF is not checked here
(no maintained SPF library fits; pyspf's last release is from 2020): an MTA in front of
Opora that checks it reports it in its own Authentication-Results, which trust.py reads.
The results are written as an Authentication-Results header under `AUTHSERV_ID`.

DNS lookups go through `dnsfunc(name: bytes) -> bytes` (the TXT record, b"" if none), so
tests answer them from a dict and never ask the internet.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from opora.inbox.email.parse import addresses

logger = logging.getLogger("opora.inbox.email")

DnsFunc = Callable[..., bytes]
MAX_SIGNATURES = 5
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"cc",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"in-reply-to",
    b"references",
    b"mime-version",
    b"content-type",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FROM = re.compile(rb"^from:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def system_dnsfunc(name: bytes, timeout: int = 5) -> bytes:
    """dkimpy's own resolver (dnspython): the real DNS."""
    return bytes(dkim.dnsplug.get_txt(name, timeout=timeout) or b"")


@dataclass
class Checked:
    dkim: str  # pass, fail, none
    dkim_domains: list[str]
    dmarc: str  # pass, fail, none
    from_domain: str
    policy: str = ""


def _organizational(domain: str) -> str:
    # Relaxed alignment by the last two labels: close enough without a suffix list.
    return ".".join(domain.lower().rstrip(".").split(".")[-2:])


def _from_domain(data: bytes) -> str:
    end = _HEADER_END.search(data, 0, 256 * 1024)
    head = data[: end.start()] if end else data[: 256 * 1024]
    match = _FROM.search(head)
    if not match:
        return ""
    found = addresses([match.group(1).decode("utf-8", "surrogateescape")])
    return found[0][1].rpartition("@")[2] if found else ""


def _policy(domain: str, dnsfunc: DnsFunc) -> str:
    try:
        record = dnsfunc(f"_dmarc.{domain}.".encode()) or b""
    except Exception:
        return ""
    match = re.search(rb"(?:^|;)\s*p\s*=\s*([a-z]+)", record, re.IGNORECASE)
    return match.group(1).decode().lower() if record.startswith(b"v=DMARC1") and match else ""


def check(data: bytes, *, dnsfunc: DnsFunc = system_dnsfunc) -> Checked:
    """Verify the message's DKIM signatures and judge DMARC from them."""
    from_domain = _from_domain(data)
    passed: list[str] = []
    tried = 0
    verifier = dkim.DKIM(data)
    count = min(len([h for h in verifier.headers if h[0].lower() == b"dkim-signature"]), 5)
    for index in range(count):
        tried += 1
        try:
            ok = verifier.verify(idx=index, dnsfunc=dnsfunc)
        except Exception:
            ok = False
        if ok and verifier.domain:
            passed.append(verifier.domain.decode("ascii", "replace").lower())
    result = "pass" if passed else ("fail" if tried else "none")
    aligned = bool(from_domain) and any(
        _organizational(d) == _organizational(from_domain) for d in passed
    )
    policy = _policy(from_domain, dnsfunc) if from_domain and not aligned else ""
    if aligned:
        dmarc = "pass"
    elif policy in ("quarantine", "reject"):
        dmarc = "fail"
    else:
        dmarc = "none"
    return Checked(result, passed, dmarc, from_domain, policy)


def results_header(checked: Checked, authserv_id: str) -> bytes:
    """The Authentication-Results header (RFC 8601) for what `check` found."""
    parts = [authserv_id]
    if checked.dkim_domains:
        parts += [f"dkim=pass header.d={d}" for d in checked.dkim_domains]
    else:
        parts.append(f"dkim={checked.dkim}")
    policy = f" (p={checked.policy}; SPF not checked)" if checked.policy else ""
    parts.append(f"dmarc={checked.dmarc}{policy} header.from={checked.from_domain or 'unknown'}")
    return ("Authentication-Results: " + ";\r\n\t".join(parts) + "\r\n").encode("ascii", "replace")


# --- signing -------------------------------------------------------------------------


def generate_key() -> str:
    """A new 2048-bit RSA private key, PEM (PKCS#1, as dkimpy reads it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_record(private_pem: str) -> str:
    """The DNS TXT value that publishes the key: "v=DKIM1; k=rsa; p=…"."""
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import base64

    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode('ascii')}"


def sign(data: bytes, *, domain: str, selector: str, private_pem: str) -> bytes:
    """The DKIM-Signature header line(s) for the message (relaxed/relaxed)."""
    present = {
        h.lower() for h in re.findall(rb"^([A-Za-z0-9-]+):", data.split(b"\r\n\r\n")[0], re.M)
    }
    return bytes(
        dkim.sign(
            data,
            selector.encode("ascii"),
            domain.encode("idna"),
            private_pem.encode("ascii"),
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h for h in SIGNED_HEADERS if h in present],
        )
    )
