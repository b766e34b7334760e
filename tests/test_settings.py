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


def _key_text() -> str:
    from tests.connectors.github.fake_github_admin import rsa_key_pair

    return rsa_key_pair()[0]


def test_github_app_from_key_text_or_path(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    key = _key_text()
    monkeypatch.setenv("PULSE_GITHUB_APP_ID", "42")
    monkeypatch.setenv("PULSE_GITHUB_APP_PRIVATE_KEY", key)
    settings = load_settings()
    assert settings.github_app and settings.github_auth_note() is None
    assert "PRIVATE KEY" not in repr(settings)
    monkeypatch.delenv("PULSE_GITHUB_APP_PRIVATE_KEY")
    (tmp_path / "app.pem").write_text(key)
    monkeypatch.setenv("PULSE_GITHUB_APP_PRIVATE_KEY_PATH", str(tmp_path / "app.pem"))
    monkeypatch.setenv("PULSE_GITHUB_TOKEN", "ghp_x")
    settings = load_settings()
    assert settings.github_app_private_key.get_secret_value() == key
    assert "the GitHub App is used" in settings.github_auth_note()


@pytest.mark.parametrize(("env", "message"), [
    ({"PULSE_GITHUB_APP_ID": "42", "PULSE_GITHUB_APP_PRIVATE_KEY": "MIIsecretbits"},
     "Invalid setting: PULSE_GITHUB_APP_PRIVATE_KEY is not a PEM private key: paste the whole .pem file"),
    ({"PULSE_GITHUB_APP_ID": "42", "PULSE_GITHUB_APP_PRIVATE_KEY_PATH": "/nowhere/app.pem"},
     "PULSE_GITHUB_APP_PRIVATE_KEY_PATH: /nowhere/app.pem cannot be read"),
    ({"PULSE_GITHUB_APP_ID": "42"}, "PULSE_GITHUB_APP_ID is set without the App's key"),
    ({"PULSE_GITHUB_APP_PRIVATE_KEY": "KEY"}, "PULSE_GITHUB_APP_ID is missing"),
])
def test_a_bad_github_app_setting_is_one_plain_sentence_without_the_key(monkeypatch, tmp_path, env, message):
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert message in str(error.value)
    assert "secretbits" not in str(error.value) and error.value.__cause__ is None


def test_a_bad_key_file_is_named(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.pem").write_text("-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n")
    monkeypatch.setenv("PULSE_GITHUB_APP_ID", "42")
    monkeypatch.setenv("PULSE_GITHUB_APP_PRIVATE_KEY_PATH", str(tmp_path / "app.pem"))
    with pytest.raises(SettingsError, match=r"The file at PULSE_GITHUB_APP_PRIVATE_KEY_PATH \(.*\) is not a PEM"):
        load_settings()


@pytest.mark.parametrize("value", ["pulse.example.com/webhooks/jira", "https://pulse.example.com/webhooks/jira?token=x"])
def test_the_jira_webhook_url_is_an_address_without_its_token(monkeypatch, tmp_path, value):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULSE_JIRA_WEBHOOK_URL", value)
    with pytest.raises(SettingsError, match="PULSE_JIRA_WEBHOOK_URL must be the address of /webhooks/jira"):
        load_settings()


def test_the_jira_webhook_url_loses_its_trailing_slash(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULSE_JIRA_WEBHOOK_URL", "https://pulse.example.com/webhooks/jira/")
    assert load_settings().jira_webhook_url == "https://pulse.example.com/webhooks/jira"
