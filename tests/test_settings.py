from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import opora
from opora.conf import default_data_dir, env_bool, env_int, env_list

PACKAGE_DIR = Path(opora.__file__).resolve().parent


def test_env_readers_are_strict(monkeypatch):
    monkeypatch.setenv("OPORA_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="OPORA_X"):
        env_bool("OPORA_X", False)
    monkeypatch.setenv("OPORA_X", "Yes")
    assert env_bool("OPORA_X", False) is True
    monkeypatch.setenv("OPORA_X", "ten")
    with pytest.raises(ImproperlyConfigured):
        env_int("OPORA_X", 1)
    monkeypatch.setenv("OPORA_X", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("OPORA_X", 1, minimum=1)
    monkeypatch.setenv("OPORA_X", " a, ,b ")
    assert env_list("OPORA_X", []) == ["a", "b"]
    monkeypatch.delenv("OPORA_X")
    assert env_int("OPORA_X", 7) == 7


def _settings_in_subprocess(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='opora.settings'; django.setup();"
        "from django.conf import settings as s; db=s.DATABASES['default'];"
        "print(db['ENGINE'], db.get('NAME'), s.MAX_ATTACHMENT_MB)"
    )
    base = {"PATH": "/usr/bin:/bin", "OPORA_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_embedded_default_is_sqlite_under_the_data_dir(tmp_path):
    result = _settings_in_subprocess(tmp_path)
    assert result.returncode == 0, result.stderr
    engine, name, limit = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert name == str(tmp_path / "opora.sqlite3")
    assert limit == "25"


def test_a_postgres_url_switches_the_engine(tmp_path):
    result = _settings_in_subprocess(
        tmp_path,
        OPORA_DATABASE_URL="postgres://u:p@127.0.0.1:5432/desk",
        OPORA_MAX_ATTACHMENT_MB="5",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "desk", "5"]


def test_bad_configuration_stops_with_a_message(tmp_path):
    result = _settings_in_subprocess(tmp_path, OPORA_DEBUG="perhaps")
    assert result.returncode != 0
    assert "OPORA_DEBUG" in result.stderr
    result = _settings_in_subprocess(tmp_path, OPORA_DATABASE_URL="mysql://x@y/z")
    assert result.returncode != 0
    assert "OPORA_DATABASE_URL" in result.stderr


def test_the_embedded_database_runs_in_wal_mode(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='opora.settings'; django.setup();"
        "from django.db import connection; c=connection.cursor(); c.execute('PRAGMA journal_mode');"
        "print(c.fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "OPORA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"
    assert (tmp_path / "opora.sqlite3").exists()


def _read_in_subprocess(tmp_path, expression: str, **env: str) -> object:
    """The value of `expression` (over `settings`) in a fresh process with this environment."""
    return _read_in(tmp_path, expression, env=env)


def _read_in(tmp_path, expression: str, *, env: dict[str, str], cwd: Path | None = None) -> object:
    """`_read_in_subprocess` started in `cwd`; OPORA_DATA_DIR="" in `env` means the default."""
    code = (
        "import django, os, json; os.environ['DJANGO_SETTINGS_MODULE']='opora.settings';"
        "django.setup(); from django.conf import settings;"
        f"print(json.dumps({expression}))"
    )
    base = {"PATH": "/usr/bin:/bin", "OPORA_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _database_in_subprocess(tmp_path, **env: str) -> dict[str, object]:
    found = _read_in_subprocess(
        tmp_path,
        "{'age': settings.DATABASES['default']['CONN_MAX_AGE'],"
        " 'pool': settings.DATABASES['default']['OPTIONS'].get('pool'),"
        " 'threads': settings.WEB_THREADS}",
        **env,
    )
    assert isinstance(found, dict)
    return found


def test_postgresql_connections_come_from_a_pool_per_process(tmp_path):
    # The web threads, the in-process worker and WebSocket consumers share the pool.
    url = "postgres://u:p@127.0.0.1:5432/desk"
    pooled = _database_in_subprocess(tmp_path, OPORA_DATABASE_URL=url, OPORA_DB_POOL_SIZE="5")
    assert pooled["age"] == 0
    assert pooled["pool"] == {"min_size": 2, "max_size": 5, "timeout": 30}
    # 0 turns the pool off: persistent connections, as long as configured
    plain = _database_in_subprocess(
        tmp_path, OPORA_DATABASE_URL=url, OPORA_DB_POOL_SIZE="0", OPORA_DB_CONN_MAX_AGE="90"
    )
    assert (plain["age"], plain["pool"]) == (90, None)


def test_web_threads_default_to_few_on_sqlite_and_more_on_postgresql(tmp_path):
    # SQLite takes one writer at a time: two request threads per process
    assert _database_in_subprocess(tmp_path)["threads"] == 2
    on_postgres = _database_in_subprocess(
        tmp_path, OPORA_DATABASE_URL="postgres://u:p@127.0.0.1:5432/desk"
    )
    assert on_postgres["threads"] == 8
    assert _database_in_subprocess(tmp_path, OPORA_WEB_THREADS="3")["threads"] == 3


def _base_url(tmp_path, **env: str) -> str:
    return str(_read_in_subprocess(tmp_path, "settings.BASE_URL", **env))


def test_links_point_where_opora_serve_listens_unless_told_otherwise(tmp_path):
    assert _base_url(tmp_path) == "http://127.0.0.1:8000"
    assert _base_url(tmp_path, OPORA_PORT="8765") == "http://127.0.0.1:8765"
    wildcard = "0.0.0.0"  # noqa: S104 - listening everywhere, linked on this machine
    assert _base_url(tmp_path, OPORA_HOST=wildcard, OPORA_PORT="80") == "http://127.0.0.1:80"
    assert _base_url(tmp_path, OPORA_HOST="::1") == "http://[::1]:8000"
    public = "https://support.example.com"
    assert _base_url(tmp_path, OPORA_BASE_URL=public + "/", OPORA_PORT="8765") == public


def _default_data_dir_in(tmp_path, cwd: Path, **env: str) -> str:
    # An explicit key, so reading the settings writes no key file into the data folder.
    env = {"OPORA_DATA_DIR": "", "OPORA_SECRET_KEY": "test-only-key", **env}
    return str(_read_in(tmp_path, "str(settings.DATA_DIR)", env=env, cwd=cwd))


def test_a_checkout_keeps_its_data_in_its_own_var_from_any_working_directory(tmp_path):
    # given two unrelated working directories
    first, second = tmp_path / "one", tmp_path / "two" / "deeper"
    first.mkdir()
    second.mkdir(parents=True)
    # when Opora reads its settings from each of them with no OPORA_DATA_DIR
    seen = {_default_data_dir_in(tmp_path, cwd) for cwd in (first, second, PACKAGE_DIR)}
    # then both use the checkout's var/, not a folder under where they were started
    assert seen == {str(PACKAGE_DIR.parents[1] / "var")}
    assert not (first / "var").exists() and not (second / "var").exists()


def test_opora_data_dir_still_wins_and_a_relative_one_is_taken_from_the_working_dir(tmp_path):
    assert _read_in_subprocess(tmp_path, "str(settings.DATA_DIR)") == str(tmp_path)
    (tmp_path / "here").mkdir()
    found = _read_in(
        tmp_path, "str(settings.DATA_DIR)", env={"OPORA_DATA_DIR": "data"}, cwd=tmp_path / "here"
    )
    assert found == str(tmp_path / "here" / "data")


def test_an_installed_package_keeps_its_data_in_the_users_data_home(tmp_path):
    # given the package installed outside any checkout (copied into a bare folder)
    site = tmp_path / "site"
    shutil.copytree(
        PACKAGE_DIR, site / "opora", ignore=shutil.ignore_patterns("__pycache__", "var")
    )
    home = tmp_path / "home"
    env = {"PYTHONPATH": str(site), "HOME": str(home)}
    # when it is started without XDG_DATA_HOME, and with one
    plain = _default_data_dir_in(tmp_path, tmp_path, **env)
    xdg = _default_data_dir_in(tmp_path, tmp_path, XDG_DATA_HOME=str(tmp_path / "xdg"), **env)
    # then the data lives in ~/.local/share/opora, or under XDG_DATA_HOME
    assert plain == str(home / ".local" / "share" / "opora")
    assert xdg == str(tmp_path / "xdg" / "opora")


def test_the_default_data_dir_ignores_a_relative_xdg_data_home(tmp_path, monkeypatch):
    # The XDG specification: relative paths in these variables are invalid.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/share")
    package = tmp_path / "lib" / "opora"
    assert default_data_dir(package) == tmp_path / ".local" / "share" / "opora"
    # a folder named src without a project file around it is no checkout either
    assert default_data_dir(tmp_path / "src" / "opora") == tmp_path / ".local" / "share" / "opora"
    (tmp_path / "pyproject.toml").write_text("")
    assert default_data_dir(tmp_path / "src" / "opora") == tmp_path / "var"


def test_each_app_is_installed_once_and_no_two_share_a_template_or_static_path():
    from collections import Counter

    from django.apps import apps
    from django.conf import settings

    assert len(settings.INSTALLED_APPS) == len(set(settings.INSTALLED_APPS))
    # Lookups stop at the first app holding a path: a shared one would depend on the order.
    held: Counter[str] = Counter()
    template_dirs = settings.TEMPLATES[0]["DIRS"]
    assert isinstance(template_dirs, list)
    folders = [Path(folder) for folder in template_dirs]
    folders += [Path(entry) for entry in settings.STATICFILES_DIRS if isinstance(entry, str | Path)]
    for config in apps.get_app_configs():
        if config.name.startswith("opora."):
            folders += [Path(config.path) / "templates", Path(config.path) / "static"]
    for folder in folders:
        held.update(
            f"{folder.name}:{path.relative_to(folder)}"
            for path in folder.rglob("*")
            if path.is_file()
        )
    assert [path for path, count in held.items() if count > 1] == []


def test_mail_goes_to_the_local_outbox_until_an_smtp_server_is_set(tmp_path):
    backend = "[settings.OUTBOX_TRANSPORT, getattr(settings, 'EMAIL_FILE_PATH', '')]"
    assert _read_in_subprocess(tmp_path, backend) == [
        "django.core.mail.backends.filebased.EmailBackend",
        str(tmp_path.resolve() / "outbox"),
    ]
    with_smtp = _read_in_subprocess(tmp_path, backend, OPORA_SMTP_HOST="mail.example.test")
    assert isinstance(with_smtp, list)
    assert with_smtp[0] == "django.core.mail.backends.smtp.EmailBackend"


def test_a_mail_sent_without_smtp_lands_in_the_outbox(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='opora.settings';"
        "django.setup(); from django.core.management import call_command;"
        "call_command('migrate', verbosity=0); from django.core.mail import send_mail;"
        "send_mail('Ticket #1', 'Don\\'t worry', 'desk@example.test', ['dana@example.test']);"
        "from opora.inbox.delivery import deliver; from opora.inbox.models import Delivery;"
        "assert [deliver(pk) for pk in Delivery.objects.values_list('pk', flat=True)] == ['sent']"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "OPORA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [written] = list((tmp_path / "outbox").iterdir())
    text = written.read_text()
    assert "To: dana@example.test" in text and "Don't worry" in text
