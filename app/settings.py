"""Service settings, read from PULSE_* environment variables and an optional .env file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.github.app_auth import check_private_key

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
    github_app_id: int | None = Field(default=None, gt=0, description="The GitHub App's id (its settings page).")
    github_app_private_key: SecretStr | None = Field(default=None, description="The App's private key (PEM text).")
    github_app_private_key_path: Path | None = Field(default=None, description="Or the path of its .pem file.")
    github_webhook_url: str | None = Field(default=None, description=(
        "The public URL of /webhooks/github: `pulse connect github` and the redelivery job find our hooks by it."))
    redelivery_interval_seconds: int = Field(default=900, ge=60, description=(
        "Worker: ask GitHub to redeliver failed webhook deliveries every N seconds."))
    redelivery_max_per_run: int = Field(default=50, ge=1, le=500, description=(
        "Worker: at most this many redeliveries asked for per run."))
    jira_url: str | None = None
    jira_email: str | None = None
    jira_token: SecretStr | None = None
    jira_deployment: str = "cloud"
    jira_webhook_url: str | None = Field(default=None, description=(
        "The public URL of /webhooks/jira: `pulse connect jira` and `pulse doctor` find our Jira webhook by it."))
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

    @field_validator("jira_webhook_url")
    @classmethod
    def _jira_webhook_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("https://", "http://")) or "?" in value:
            raise ValueError("must be the address of /webhooks/jira, like https://pulse.example.com/webhooks/jira "
                             "(without ?token=: it is added from PULSE_JIRA_WEBHOOK_TOKEN)")
        return value.strip().rstrip("/")

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

    @model_validator(mode="after")
    def _github_app(self) -> Settings:
        key, path = self.github_app_private_key, self.github_app_private_key_path
        if key is not None and path is not None:
            raise ValueError("Set PULSE_GITHUB_APP_PRIVATE_KEY or PULSE_GITHUB_APP_PRIVATE_KEY_PATH, not both")
        if path is not None:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"PULSE_GITHUB_APP_PRIVATE_KEY_PATH: {path} cannot be read "
                                 f"({type(exc).__name__})") from None
            self.github_app_private_key, self.github_app_private_key_path = SecretStr(text), None
            name = f"The file at PULSE_GITHUB_APP_PRIVATE_KEY_PATH ({path})"
        else:
            name = "PULSE_GITHUB_APP_PRIVATE_KEY"
        if self.github_app_private_key is not None:
            if self.github_app_id is None:
                raise ValueError("PULSE_GITHUB_APP_ID is missing: a GitHub App key needs the App's id")
            try:
                check_private_key(self.github_app_private_key.get_secret_value())
            except ValueError as exc:
                raise ValueError(f"{name} {exc}") from None
        elif self.github_app_id is not None:
            raise ValueError("PULSE_GITHUB_APP_ID is set without the App's key: set PULSE_GITHUB_APP_PRIVATE_KEY "
                             "or PULSE_GITHUB_APP_PRIVATE_KEY_PATH")
        return self

    @property
    def github_app(self) -> bool:
        """Say whether GitHub is read as a GitHub App (its id and key are set)."""
        return self.github_app_id is not None and self.github_app_private_key is not None

    def github_auth_note(self) -> str | None:
        """Say which GitHub credentials are used when both an App and a personal token are set."""
        if self.github_app and self.github_token is not None:
            return ("Both a GitHub App (PULSE_GITHUB_APP_ID) and a personal token (PULSE_GITHUB_TOKEN) are set: "
                    "the GitHub App is used; unset PULSE_GITHUB_TOKEN to silence this.")
        return None

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
            message = err["msg"].removeprefix("Value error, ")
            if not err["loc"]:  # a check of several settings together names them itself
                problems.append(message)
                continue
            name = "PULSE_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name} {message}")
        raise SettingsError("Invalid setting: " + "; ".join(problems) + ".") from None
