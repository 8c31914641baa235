"""Settings: where the records live, and keys that stay out of the database (R8, R11)."""

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from mediacheck.config import AppSettings, KeyFileError


def test_the_default_database_is_sqlite_in_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDIACHECK_DATABASE_URL", raising=False)
    monkeypatch.setenv("MEDIACHECK_DATA_DIR", str(tmp_path / "school"))
    assert AppSettings().database_url == f"sqlite:///{tmp_path / 'school' / 'mediacheck.db'}"


def test_postgresql_is_chosen_by_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIACHECK_DATABASE_URL", "postgresql+psycopg://mediacheck@db/school")
    assert AppSettings().database_url == "postgresql+psycopg://mediacheck@db/school"


def test_r11_template_key_file_is_created_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    settings = AppSettings(data_dir=tmp_path, template_key=None)
    key = settings.template_key_bytes()
    Fernet(key)
    assert stat.S_IMODE((tmp_path / "template.key").stat().st_mode) == 0o600
    assert AppSettings(data_dir=tmp_path, template_key=None).template_key_bytes() == key


def test_r11_template_key_from_the_environment_wins_and_writes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("MEDIACHECK_TEMPLATE_KEY", key)
    assert AppSettings(data_dir=tmp_path).template_key_bytes() == key.encode()
    assert not (tmp_path / "template.key").exists()


def test_r8_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    settings = AppSettings(data_dir=tmp_path, link_key=None)
    settings.link_key_bytes()
    os.chmod(tmp_path / "link.key", 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        settings.link_key_bytes()
