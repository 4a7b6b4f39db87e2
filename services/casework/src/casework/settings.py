"""Casework settings: `CASEWORK_*` plus the shared variables."""

from __future__ import annotations

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from attendance_common.settings import ServiceSettings

# Known to everyone, so production refuses it (as it refuses the development JWT secret).
DEVELOPMENT_FAMILY_KEY_SECRET = "dev-only-casework-family-key-secret-change-me"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CASEWORK_", extra="ignore", populate_by_name=True)

    service: str = "casework"
    # Keys the family key (an HMAC of the parent's email): events never carry the email itself,
    # and without the secret nobody can test a guessed email against a published key.
    family_key_secret: str = DEVELOPMENT_FAMILY_KEY_SECRET
    # How often the worker looks whether a new school-local day began (overdue plan reviews run
    # once a day; the claims make an extra run harmless).
    plan_review_poll_seconds: float = 60.0

    @model_validator(mode="after")
    def refuse_development_family_secret_in_production(self) -> Settings:
        if self.is_production and self.family_key_secret == DEVELOPMENT_FAMILY_KEY_SECRET:
            raise ValueError(
                "CASEWORK_FAMILY_KEY_SECRET is the development default: production needs its own"
            )
        return self
