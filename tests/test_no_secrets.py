"""No secret is ever committed: key files, private keys, a generated Django key."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEY_FILE = re.compile(r"(^|/)(secret_key|\.env|id_rsa|id_ed25519)$|\.(pem|key|p12|pfx)$")
KEY_TEXT = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|django-insecure-[a-z0-9!@#$%^&*(\-_=+)]{20,}"
    r"|\b(?:ghp|github_pat|xox[bp]|sk_live)_[A-Za-z0-9_]{20,}"
)


def _tracked() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [name for name in listing.decode().split("\0") if name]


def test_no_key_file_is_tracked() -> None:
    assert [name for name in _tracked() if KEY_FILE.search(name)] == []


def test_no_private_key_or_token_is_in_a_tracked_file() -> None:
    found = []
    for name in _tracked():
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        if name != "tests/test_no_secrets.py" and KEY_TEXT.search(text):
            found.append(name)
    assert found == []
