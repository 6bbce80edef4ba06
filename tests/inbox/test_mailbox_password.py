"""Where an IMAP password comes from: a variable or a secret file, named by the mailbox."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from opora.inbox.email.fetch import mailbox_password
from opora.inbox.email.models import Mailbox

pytestmark = pytest.mark.django_db


def test_it_reads_the_secret_file_then_the_variable(settings, tmp_path, monkeypatch):
    settings.MAILBOX_SECRET_DIR = str(tmp_path)
    (tmp_path / "HELP_IMAP").write_text("from-file\n")
    monkeypatch.setenv("HELP_IMAP", "from-env")
    monkeypatch.setenv("OTHER_IMAP", "from-env")
    assert mailbox_password(Mailbox(address="a@desk.test", password_env="HELP_IMAP")) == "from-file"
    assert mailbox_password(Mailbox(address="a@desk.test", password_env="OTHER_IMAP")) == "from-env"


def test_a_name_that_is_a_path_never_leaves_the_secret_directory(settings, tmp_path):
    # given a secret directory and a file outside it, and a row written before names
    # were checked
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    settings.MAILBOX_SECRET_DIR = str(secrets)
    (tmp_path / "outside").write_text("not a password")
    box = Mailbox.objects.create(address="a@desk.test", password_env="../outside")
    # then the file is not read
    with pytest.raises(ImproperlyConfigured, match="must be a name"):
        mailbox_password(box)
