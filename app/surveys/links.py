"""Signed, single-purpose links for clients: one answers a survey request, one unsubscribes a contact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.contracts import Contracts
from app.settings import Settings, SettingsError

# No survey link outlives the longest link lifetime a contract may set; the request's own expiry is the exact one.
MAX_LINK_SECONDS = 91 * 86400
Problem = Literal["tampered", "expired"]


class LinkRefused(Exception):
    """A link that is not ours, was changed, or is past any survey's lifetime."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Links:
    """Sign and read client links with one secret; the salt keeps a survey link from working as another kind."""

    secret: str
    public_url: str

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=f"pulse-{purpose}")

    def survey_token(self, request_id: int) -> str:
        return self._serializer("survey").dumps(request_id)

    def survey_url(self, request_id: int) -> str:
        return f"{self.public_url}/survey/{self.survey_token(request_id)}"

    def read_survey(self, token: str) -> int:
        """Return the survey request id a link carries; raise LinkRefused when it is not a valid survey link."""
        value = self._read("survey", token, MAX_LINK_SECONDS)
        if not isinstance(value, int) or isinstance(value, bool):
            raise LinkRefused("tampered")
        return value

    def unsubscribe_token(self, client: str, person: str) -> str:
        return self._serializer("unsubscribe").dumps([client, person])

    def unsubscribe_url(self, client: str, person: str) -> str:
        return f"{self.public_url}/survey/unsubscribe/{self.unsubscribe_token(client, person)}"

    def read_unsubscribe(self, token: str) -> tuple[str, str]:
        """Return the (client, person) an unsubscribe link names; it works as long as the secret is the same."""
        value = self._read("unsubscribe", token, None)
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            raise LinkRefused("tampered")
        return value[0], value[1]

    def _read(self, purpose: str, token: str, max_age: int | None) -> object:
        if len(token) > 512:
            raise LinkRefused("tampered")
        try:
            return self._serializer(purpose).loads(token, max_age=max_age)
        except SignatureExpired:
            raise LinkRefused("expired") from None
        except BadSignature:
            raise LinkRefused("tampered") from None


def surveying_clients(contracts: Contracts) -> list[str]:
    return sorted(name for name, client in contracts.clients.items() if client.spec.survey.enabled)


def links_from(settings: Settings, contracts: Contracts) -> Links | None:
    """Return the link signer, or None when no secret is set; refuse to start when surveys need one."""
    if settings.survey_secret is None or not settings.survey_secret.get_secret_value().strip():
        asking = surveying_clients(contracts)
        if asking:
            raise SettingsError(
                f"PULSE_SURVEY_SECRET is not set, but {', '.join(asking)} "
                f"{'has' if len(asking) == 1 else 'have'} surveys switched on: set it to a long random value "
                "(for example the output of: openssl rand -hex 32) so survey links can be signed.")
        return None
    secret = settings.survey_secret.get_secret_value()
    if len(secret) < 16:
        raise SettingsError("PULSE_SURVEY_SECRET is too short: use at least 16 characters, for example the output "
                            "of: openssl rand -hex 32.")
    return Links(secret, settings.public_url)
