"""Settings from the environment (prefix CLAIMWATCH_, or the platforms' usual names) or .env."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CLAIMWATCH_", env_file=".env", extra="ignore", populate_by_name=True
    )

    db_url: str = "sqlite:///claimwatch.db"
    tenant: str = "local"  # the console's team
    log_level: str = "INFO"
    log_json: bool = False

    # Fetching and polling
    default_every_seconds: int = 600
    user_agent: str = "claimwatch/0.1 (+https://github.com/claimwatch/claimwatch)"
    fetch_timeout_seconds: float = 20.0
    max_body_bytes: int = 5_000_000
    max_redirects: int = 5
    per_host_concurrency: int = 2
    # Hosts or CIDRs that may be fetched although private/loopback (tests, on-premise)
    allow_hosts: list[str] = Field(default_factory=list)

    # Slack
    slack_bot_token: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "CLAIMWATCH_SLACK_BOT_TOKEN")
    )
    slack_app_token: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "CLAIMWATCH_SLACK_APP_TOKEN")
    )
    slack_signing_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "CLAIMWATCH_SLACK_SIGNING_SECRET"),
    )
    slack_mode: str = "socket"  # "socket" | "http"
    slack_port: int = 3000
    slack_api_url: str | None = None  # tests point this at a fake Slack API
    slack_admins: list[str] = Field(default_factory=list)

    # Discord
    discord_token: str | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "CLAIMWATCH_DISCORD_TOKEN")
    )
    discord_read_links: bool = False  # needs the privileged message-content intent
    discord_sync_guild: int | None = None
