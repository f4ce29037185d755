"""Settings read from the environment (prefix WEISHI_ or plain DATABASE_URL)."""

from functools import lru_cache
from ipaddress import ip_network
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-insecure-secret-change-me-0123456789"  # noqa: S105 (refused outside development)


class Settings(BaseSettings):
    """Every knob of the service; safe defaults for development on SQLite."""

    model_config = SettingsConfigDict(env_prefix="WEISHI_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="sqlite+aiosqlite:///./data/weishi.db",
        validation_alias=AliasChoices("DATABASE_URL", "WEISHI_DATABASE_URL"),
    )
    # Seconds a request may wait on the database before it gets a 503.
    db_timeout_seconds: float = 5.0
    # A fixed pool: overflow connections are closed when given back, so under a sustained rush each worker
    # kept opening and closing backends (about 8% of casting throughput, bench/load_run.py).
    db_pool_size: int = 20
    db_max_overflow: int = 0
    # "pgbouncer": the database URL is a transaction pooler (PgBouncer pool_mode = transaction), so no named
    # prepared statement may outlive its transaction: asyncpg's and SQLAlchemy's statement caches are off.
    db_pooler: Literal["none", "pgbouncer"] = "none"
    # A streaming read replica (PostgreSQL hot standby) of database_url for finance reports, their exports and
    # the public finance summary (app/core/db_replica.py); unset, they read the primary. Past the lag, or down,
    # the replica is passed over for the primary.
    database_read_url: str | None = None
    db_replica_max_lag_seconds: float = Field(default=5.0, ge=0)

    secret_key: str = DEV_SECRET
    jwt_issuer: str = "weishi"
    jwt_audience: str = "weishi-api"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 30

    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    # "log" writes codes and messages to the server log: development only, production refuses to start with it.
    otp_sender: Literal["log", "aliyun", "tencent"] = "log"

    # SMS providers (app/sms): credentials, sign name (签名) and a template id per purpose ("otp" and each
    # notification kind). Template parameters: aliyun {"code"} or {"title", "body"}; tencent the same, in order.
    sms_sign_name: str = "微实"
    sms_templates: dict[str, str] = Field(default_factory=dict)
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: str = ""
    aliyun_sms_endpoint: str = "dysmsapi.aliyuncs.com"
    tencent_secret_id: str = ""
    tencent_secret_key: str = ""
    tencent_sms_app_id: str = ""
    tencent_sms_region: str = "ap-guangzhou"
    tencent_sms_endpoint: str = "sms.tencentcloudapi.com"
    # Plain http to the endpoint: only for a provider stand-in on 127.0.0.1 (the tests); never in production.
    sms_insecure_http: bool = False
    # Daily caps (Shanghai days): messages per purpose, and per phone across purposes.
    sms_daily_cap_per_purpose: dict[str, int] = Field(default_factory=lambda: {"otp": 5000})
    sms_daily_cap_default: int = 2000
    sms_daily_cap_per_phone: int = 10
    sms_retries: int = 2
    # The secret in the receipt URLs given to the providers (…/api/v1/sms/receipts/aliyun?token=…); empty: off.
    sms_receipt_token: str = ""

    # WeChat mini-program (app/wechat). Empty app id: WeChat sign-in answers 503 and WeChat messages are skipped.
    wechat_app_id: str = ""
    wechat_app_secret: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com"
    # Subscribe-message template id per notification kind; data keys thing1 (title) and thing2 (text).
    wechat_templates: dict[str, str] = Field(default_factory=dict)
    wechat_miniprogram_state: Literal["developer", "trial", "formal"] = "formal"
    wechat_timeout_seconds: float = 5.0

    # The notification worker (`weishi worker`): a delivery is held this long by the worker sending it;
    # failed attempts wait base * 2^n seconds (at most max) and give up after max_attempts.
    notify_lease_seconds: int = 60
    notify_poll_seconds: float = 2.0
    notify_max_attempts: int = 8
    notify_backoff_base_seconds: int = 30
    notify_backoff_max_seconds: int = 3600
    # No SMS between these Shanghai hours (a message due then waits for the end); "" turns quiet hours off.
    notify_quiet_hours: str = "21:00-08:00"
    # Run a notification worker inside each API process too (`make run` does, so the inbox fills in
    # development without a second command); in production run `weishi worker` processes instead.
    notify_inline_worker: bool = False

    # "limit/window_seconds" pairs; counters live in the database so workers share them.
    rate_login_per_ip: str = "50/900"
    # One address's code requests for one phone, counted before the phone's own budget: a stranger spends
    # at most this much of it, so the owner can still ask for codes.
    rate_otp_per_phone_ip: str = "3/3600"
    rate_otp_per_phone: str = "10/3600"
    rate_otp_per_ip: str = "30/3600"
    rate_public_write_per_ip: str = "20/600"
    # Wrong passwords per (account, client address): free ones, then waits doubling from base up to max;
    # forgotten once the last wait ended this long ago. No hard lock a stranger could set off.
    login_backoff_free_failures: int = 5
    login_backoff_base_seconds: int = 2
    login_backoff_max_seconds: int = 900
    login_backoff_reset_seconds: int = 3600
    trusted_proxies: list[str] = Field(default_factory=list)
    # Host names the service answers to (a leading "*." allows subdomains, "*" anything); any other Host header
    # gets 400, so no redirect or link is ever built on a name an attacker chose. testserver and demo are the
    # in-process clients' (tests, seed-demo). Production sets its own: WEISHI_ALLOWED_HOSTS='["wsh.example.cn"]'.
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "*.localhost", "[::1]", "testserver", "demo"]
    )

    max_json_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 10 * 1024 * 1024
    max_json_depth: int = 32
    upload_dir: str = "./data/uploads"

    idempotency_ttl_seconds: int = 24 * 3600
    idempotency_lease_seconds: int = 30

    # How often each worker links pending audit events into the chain (0: only when the trail is read).
    # Short: a round hashes on the worker's event loop, so its length is the stall a request may meet; at
    # 1,200 casts/s, rounds every 0.2 s put the cast p99 at 229-452 ms, every 0.05 s at 87-124 (scaling.md).
    audit_seal_interval_seconds: float = Field(default=0.05, ge=0)

    # How long each worker may answer a public board page (round, community finances, the notice list) from the
    # copy it rendered last, rather than reading and rendering it again (0: never). A second: the last evening of
    # a vote a whole community opens the same pages, and a page a second old tells them nothing less.
    board_page_cache_seconds: float = Field(default=1.0, ge=0, le=60)

    # Public satisfaction (满意度) of a project shows only from this many ratings, and then moves in whole batches
    # of this size, so nobody learns one resident's rating by reading the mean before and after it.
    satisfaction_public_batch: int = Field(default=10, ge=1, le=1000)
    # How long personal data outlives its use, in days (docs/security.md, "Personal data"); `weishi
    # purge-expired` enforces them. Codes and counters serve nothing once spent; an objector may be asked back
    # while an objection is reviewed, so their contact is kept a while after the decision; account notices
    # are the person's record of changes made to their account.
    retention_otp_code_days: int = Field(default=0, ge=0)
    retention_rate_limit_days: int = Field(default=0, ge=0)
    retention_objection_contact_days: int = Field(default=90, ge=0)
    retention_notification_days: int = Field(default=730, ge=0)

    # Addresses (CIDRs) whose requests may read GET /metrics; everyone else gets 403 metrics_forbidden.
    metrics_allowed: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])
    # Where the QR codes on project signs point (https://your.domain); empty: the address the request came to.
    public_base_url: str = ""
    # A font with Chinese glyphs for the PNG project sign (Debian: fonts-wqy-microhei).
    sign_font_path: str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

    workers: int = 2
    log_level: str = "INFO"
    check_schema_on_startup: bool = True

    @field_validator("trusted_proxies", "metrics_allowed")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ip_network(item, strict=False)
        return value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "Settings":
        if self.environment == "production" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError("WEISHI_SECRET_KEY must be set to a random value of 32+ characters in production")
        if self.environment == "production" and self.otp_sender == "log":
            raise ValueError("WEISHI_OTP_SENDER=log writes codes to the log: choose aliyun or tencent in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def parse_rate(spec: str) -> tuple[int, int]:
    """'10/900' -> (10 requests, 900 seconds)."""
    limit, _, window = spec.partition("/")
    return int(limit), int(window)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own and pass them to create_app)."""
    return Settings()
