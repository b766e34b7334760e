"""Service settings, read from PULSE_* environment variables and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./pulse.db"
MAX_WEBHOOK_BYTES = 25 * 1024 * 1024


class SettingsError(RuntimeError):
    """Settings are missing or invalid; the message names the variable."""


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="PULSE_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    contracts: Path = Path("pulse.yaml")
    github_webhook_secret: SecretStr | None = None
    jira_webhook_secret: SecretStr | None = None
    jira_webhook_token: SecretStr | None = None
    insecure_webhooks: bool = Field(
        default=False, description="Accept unsigned webhooks. Only for local development."
    )
    api_tokens: SecretStr | None = None
    log_level: str = "INFO"
    max_webhook_bytes: int = MAX_WEBHOOK_BYTES
    # Four of the largest webhooks at once, or thousands of ordinary ones; past it a request is asked to retry.
    max_body_bytes_in_flight: int = Field(default=4 * MAX_WEBHOOK_BYTES, ge=MAX_WEBHOOK_BYTES, description=(
        "Bytes of request bodies one server process receives at once; past it a request is asked to retry (503)."))
    # GitHub waits 10 s for an answer to a delivery, Jira about as long: a body slower than this is no sender's.
    body_timeout_seconds: float = Field(default=30.0, gt=0, description="A request's body must arrive within this.")
    github_token: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    jira_url: str | None = None
    jira_email: str | None = None
    jira_token: SecretStr | None = None
    jira_deployment: str = "cloud"
    http_timeout_seconds: float = 30.0
    max_rate_limit_wait_seconds: float = 900.0
    sync_interval_seconds: int = Field(default=600, ge=10, description="Worker: incremental sync every N seconds.")
    reconcile_interval_seconds: int = Field(default=6 * 3600, ge=60, description="Worker: reconcile every N seconds.")
    clock_check_seconds: int = Field(default=60, ge=1, description="Worker: check clocks and send alerts.")
    queue_poll_seconds: int = Field(default=5, ge=1, description="Worker: look for requested syncs.")
    # Outgoing mail (surveys, reports): PULSE_SMTP_URL, or host, port, user and password one by one.
    smtp_url: SecretStr | None = Field(default=None, description=(
        "smtp://user:password@host:587 (STARTTLS when offered) or smtps://user:password@host:465 (TLS)."))
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_require_starttls: bool = Field(default=False, description=(
        "Refuse to send over smtp:// when the server does not offer STARTTLS."))
    mail_from: str = "Delivery Pulse <pulse@localhost>"
    mail_dir: Path | None = Field(default=None, description=(
        "Without SMTP settings, write each e-mail as an .eml file into this folder instead of sending it."))
    public_url: str = Field(default="http://127.0.0.1:8000", description=(
        "The address clients reach this service at: links in e-mails start with it."))
    survey_secret: SecretStr | None = Field(default=None, description=(
        "Signs survey and unsubscribe links; required when a client has surveys switched on."))

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _mail_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps://, like smtp://user:password@mail.example.com:587")
        return value

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, like https://pulse.example.com")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("jira_deployment")
    @classmethod
    def _known_deployment(cls, value: str) -> str:
        if value not in {"cloud", "datacenter"}:
            raise ValueError("must be cloud or datacenter")
        return value

    def bearer_tokens(self) -> list[str]:
        """Return the configured API bearer tokens."""
        if self.api_tokens is None:
            return []
        return [t.strip() for t in self.api_tokens.get_secret_value().split(",") if t.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one sentence that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "PULSE_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name} {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("Invalid setting: " + "; ".join(problems) + ".") from None
