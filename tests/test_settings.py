"""Settings: defaults, the PULSE_ prefix, and one clear sentence naming a bad variable."""

from __future__ import annotations

import pytest

from app.settings import SettingsError, load_settings


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite:///./pulse.db"
    assert str(settings.contracts) == "pulse.yaml"
    assert settings.bearer_tokens() == []


def test_environment_and_tokens(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULSE_API_TOKENS", "abc, def ,")
    monkeypatch.setenv("PULSE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    settings = load_settings()
    assert settings.bearer_tokens() == ["abc", "def"]
    assert not settings.is_sqlite
    assert "abc" not in repr(settings)


def test_dotenv_is_read(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PULSE_LOG_LEVEL=debug\n")
    assert load_settings().log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [("PULSE_DATABASE_URL", "mysql://x"), ("PULSE_LOG_LEVEL", "loud"), ("PULSE_INSECURE_WEBHOOKS", "perhaps")],
)
def test_bad_values_name_the_variable(monkeypatch, tmp_path, name, value):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()
