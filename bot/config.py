"""Configuration: a TOML file plus MICROSTORE_* environment overrides, validated once."""

from __future__ import annotations

import string
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "MICROSTORE_"


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseConfig(_Section):
    # SQLite in the working directory by default; postgres://user@host:5432/db in production.
    url: str = "sqlite://microstore.db?busy_timeout=5000"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if not v.startswith(("sqlite://", "postgres://", "asyncpg://", "postgresql://")):
            raise ValueError("must start with sqlite:// or postgres://")
        return v


class RedisConfig(_Section):
    url: str | None = None  # e.g. redis://127.0.0.1:6379/0; unset = in-process state


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    # How the outside world reaches us (login links, webhooks). Unset: where we listen,
    # http://<host>:<port>, so `serve --port 9000` hands out links that open.
    public_url: str = ""
    max_body_bytes: int = Field(1_048_576, ge=1024)
    # Processes serving the same port (SO_REUSEPORT); more than 1 needs redis.url.
    workers: int = Field(1, ge=1, le=32)
    # uvloop: libuv's event loop, less CPU per request; asyncio's own where it isn't installed.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # The web chat simulator at /sim: whoever reaches it speaks as any simulator user,
    # unauthenticated. Unset: on only while no platform (telegram.token, wechat.accounts) is.
    simulator: bool | None = None
    _public_url_derived: bool = PrivateAttr(False)

    @model_validator(mode="after")
    def _public_url_follows_the_listener(self) -> ServerConfig:
        if not self.public_url:
            host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
            host = f"[{host}]" if ":" in host else host
            self.public_url = f"http://{host}:{self.port}"
            self._public_url_derived = True
        return self

    def overridden(self, **changes: Any) -> dict[str, Any]:
        """This section's values with `changes` (the command line's --host, --port) applied;
        a public_url derived from the old host and port is derived again from the new."""
        values = self.model_dump()
        if self._public_url_derived:
            del values["public_url"]
        return values | changes


class ShopDefaults(_Section):
    default_shop: str = "demo"  # slug of the shop a chat lands in when nothing else says
    locale: Literal["zh_CN", "en"] = "zh_CN"
    currency: str = Field("CNY", min_length=3, max_length=3)
    timezone: str = "Asia/Shanghai"  # of new shops: dates typed in chat and on the dashboard

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError("not a known time zone, e.g. Asia/Shanghai") from None
        return v


class TelegramConfig(_Section):
    token: SecretStr | None = None
    mode: Literal["webhook", "polling"] = "polling"
    webhook_secret: SecretStr | None = None
    api_server: str | None = None  # another Bot API server, e.g. a local stand-in
    provider_token: SecretStr | None = None  # payments provider; empty with currency XTR = Stars
    currency: str = "CNY"
    bot_username: str | None = None  # learned from getMe when unset


# What a broadcast template's field values may use: the whole text, its first line, the rest.
TEMPLATE_PLACEHOLDERS = frozenset({"text", "title", "rest"})


class BroadcastTemplate(_Section):
    """The template message a broadcast becomes outside WeChat's 48-hour window."""

    id: str = Field(min_length=1, max_length=64)  # template_id from 模板消息 → 我的模板
    # Template data field -> value, e.g. {first = "{title}", keyword1 = "{rest}"}.
    fields: dict[str, str] = Field(min_length=1)
    url: str | None = None  # where tapping the message goes

    @field_validator("fields")
    @classmethod
    def _known_placeholders(cls, v: dict[str, str]) -> dict[str, str]:
        for name, value in v.items():
            try:
                used = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
            except ValueError:
                raise ValueError(f"{name}: unbalanced {{ or }}") from None
            if used - TEMPLATE_PLACEHOLDERS:
                raise ValueError(f"{name}: only {{text}}, {{title}} and {{rest}} may be used")
        return v


class WeChatAccount(_Section):
    name: str
    app_id: str
    secret: SecretStr
    token: SecretStr
    encoding_aes_key: SecretStr | None = None
    shop: str = "demo"
    menu: list[dict[str, Any]] = Field(default_factory=list)
    # Verified service accounts and test accounts (测试号) may send customer-service messages;
    # unverified subscription accounts may not: then long answers continue with "more".
    customer_service: bool = True
    # Broadcasts: outside the 48-hour window, this template (else the person is skipped).
    broadcast_template: BroadcastTemplate | None = None
    # A broadcast to `all` goes to every follower in one mass send (群发, sendall) when every
    # account of the shop has this on. WeChat allows few: 4 a month on service accounts.
    mass_send: bool = False

    @field_validator("name")
    @classmethod
    def _url_safe_name(cls, v: str) -> str:
        # The webhook is /wechat/<name>.
        if (
            not v
            or len(v) > 32
            or not v.replace("_", "").replace("-", "").isalnum()
            or not v.isascii()
        ):
            raise ValueError("1 to 32 letters, digits, - or _")
        return v

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key_length(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) != 43:
            raise ValueError("an EncodingAESKey has 43 characters")
        return v


class WeChatPayConfig(_Section):
    mch_id: str | None = None
    api_key: SecretStr | None = None
    app_id: str | None = None
    notify_url: str | None = None
    cert_path: str | None = None
    key_path: str | None = None
    api_base: str = "https://api.mch.weixin.qq.com"
    # spbill_create_ip for Native orders (the server's public IP); JSAPI sends the payer's.
    server_ip: str = "127.0.0.1"


class WeChatConfig(_Section):
    api_base: str = "https://api.weixin.qq.com"
    reply_deadline_seconds: float = Field(4.0, gt=0, le=4.8)
    signature_max_age_seconds: int = Field(300, ge=10)  # older signed URLs are replays
    accounts: list[WeChatAccount] = Field(default_factory=list)
    # Broadcast pacing per process (all accounts together), and how long to back off when
    # WeChat says an API quota or frequency limit is reached (45009, 45011).
    broadcast_rate_per_second: float = Field(10.0, gt=0, le=1000)
    broadcast_backoff_seconds: float = Field(60.0, gt=0)
    pay: WeChatPayConfig = Field(default_factory=WeChatPayConfig)

    @field_validator("accounts")
    @classmethod
    def _unique_names(cls, v: list[WeChatAccount]) -> list[WeChatAccount]:
        names = [a.name for a in v]
        if len(set(names)) != len(names):
            raise ValueError("account names must be unique")
        return v


class DashboardConfig(_Section):
    # Encrypts the dashboard's session cookies; unset = a new key per start (everyone logs in
    # again after a restart, and several server processes would not share sessions).
    # Sessions live in Redis instead when redis.url is set.
    secret_key: SecretStr | None = None
    session_hours: int = Field(12, ge=1, le=24 * 30)


class BroadcastConfig(_Section):
    # Telegram allows about 30 messages/s per bot: stay under it.
    rate_per_second: float = Field(25.0, gt=0, le=1000)
    burst: int = Field(2, ge=1, le=100)
    chat_interval_seconds: float = Field(1.0, ge=0)  # one message per second to one chat
    group_per_minute: int = Field(20, ge=1)  # 20 messages per minute to one group
    concurrency: int = Field(8, ge=1, le=256)  # in flight at once; bounds crash duplicates
    lease_seconds: float = Field(60.0, gt=0)  # a claim older than this: its sender died
    lock_ttl_seconds: float = Field(15.0, gt=0)  # the one-sender-per-bot Redis lock
    poll_seconds: float = Field(2.0, gt=0)  # how often an idle worker looks for work


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid"
    )

    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    redis: RedisConfig = Field(default_factory=RedisConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    shop: ShopDefaults = Field(default_factory=ShopDefaults)
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    wechat: WeChatConfig = Field(default_factory=WeChatConfig)
    dashboard: DashboardConfig = Field(default_factory=DashboardConfig)
    broadcast: BroadcastConfig = Field(default_factory=BroadcastConfig)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init kwargs carry the TOML file; the environment overrides it.
        return (env_settings, init_settings)


def _key_of(error: dict[str, Any]) -> str:
    return ".".join(str(p) for p in error.get("loc", ()))


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read the TOML file (if any), apply environment overrides, validate.

    Raises ConfigError with one line per wrong key, never a traceback's worth.
    """
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{p}: not valid TOML: {e}") from None
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as e:
        lines = [f"{_key_of(err)}: {err['msg']}" for err in e.errors()]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None


def default_config_path() -> Path | None:
    """config.toml in the working directory when present, else embedded defaults."""
    p = Path("config.toml")
    return p if p.is_file() else None
