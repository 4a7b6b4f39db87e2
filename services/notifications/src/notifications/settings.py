"""Notifications settings: `NOTIFICATIONS_*`, GOV.UK Notify's `NOTIFY_*` and the shared variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from attendance_common.settings import ServiceSettings

NOTIFY_PRODUCTION_URL = "https://api.notifications.service.gov.uk"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True)

    service: str = "notifications"
    # Email (api.md "Running it"): unset host = email deliveries recorded as skipped.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "attendance@school.example"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 30
    # Emails go over a few kept-open connections (delivery/smtp_pool.py), each replaced after this
    # many messages.
    smtp_pool_size: int = 4
    smtp_messages_per_connection: int = 100
    # SMS through GOV.UK Notify: unset key = SMS deliveries recorded as skipped.
    notify_api_key: str | None = Field(default=None, validation_alias="NOTIFY_API_KEY")
    notify_base_url: str = Field(default=NOTIFY_PRODUCTION_URL, validation_alias="NOTIFY_BASE_URL")
    # Notify sends only from templates: one SMS template whose whole text is `((body))`.
    notify_sms_template_id: str = "00000000-0000-0000-0000-000000000000"
    webhook_timeout_seconds: float = 10
    # Production sends webhooks only to public addresses; a test deployment on a private network may
    # allow private and loopback ones (https is required in production either way).
    webhook_allow_private: bool = False
    # Delivery loop: attempts per message before `failed`, first retry delay (doubling each time).
    delivery_max_attempts: int = 5
    delivery_backoff_seconds: float = 30
    delivery_backoff_max_seconds: float = 3600
    delivery_poll_seconds: float = 0.2  # where the loop cannot listen (SQLite; its connection down)
    delivery_idle_poll_seconds: float = 1.0  # the net under a listening loop (dispatch.py)
    delivery_batch_size: int = 50
    # A claimed delivery whose worker died is tried again after this long.
    delivery_lease_seconds: float = 120
    # Weekly attendance updates: how often the worker looks for schools whose time has come.
    updates_tick_seconds: float = 30
