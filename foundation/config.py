"""Settings read from environment variables (listed in README.md)."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

from flask import current_app, has_app_context

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "sahayata.db"
DEV_SECRET_KEY = "dev-only-insecure-key"
# A key anyone could guess in a few tries signs sessions anyone can forge.
MIN_SECRET_KEY_LENGTH = 32
PRODUCTION = "production"
DEVELOPMENT = "development"


class UnsafeStart(RuntimeError):
    """The settings would start a deployment that is not safe; ``str(exc)`` is one line
    naming the variable to set."""


def mode_from_env(env: os._Environ[str] | dict[str, str]) -> str:
    """Production when SECRET_KEY is set or SAHAYATA_ENV=production; development otherwise."""
    declared = (env.get("SAHAYATA_ENV") or "").strip().lower()
    if declared not in ("", PRODUCTION, DEVELOPMENT):
        raise UnsafeStart(f"SAHAYATA_ENV must be {PRODUCTION} or {DEVELOPMENT}, not {declared!r}")
    if declared == PRODUCTION or (env.get("SECRET_KEY") and declared != DEVELOPMENT):
        return PRODUCTION
    return DEVELOPMENT


FAST_PATH = "SAHAYATA_FAST_PATH"


def fast_path() -> bool:
    """Whether the hot paths' library bypasses are on (SAHAYATA_FAST_PATH; on outside an app).

    Each bypass (HotSelect, the USSD session store's Redis link, the gateways' form parsing)
    asks here, so one setting puts every one of them back on the plain library."""
    return current_app.config[FAST_PATH] if has_app_context() else True


def is_production(config: dict[str, object] | object) -> bool:
    return config["SAHAYATA_ENV"] == PRODUCTION


def refuse_unsafe_start(config: dict[str, object] | object, env: os._Environ[str] | dict[str, str]) -> None:
    """Raise UnsafeStart where the final settings (environment plus overrides) are unsafe.

    Without a key the service runs only as development: on its embedded defaults, or where
    SAHAYATA_ENV=development says so. A PostgreSQL or Redis URL without a key is a
    deployment that forgot SECRET_KEY, and it would sign staff sessions with a key that is
    in the repository.
    """
    key = config["SECRET_KEY"]
    if config["SAHAYATA_ENV"] == PRODUCTION:
        if not key or key == DEV_SECRET_KEY:
            raise UnsafeStart("production mode needs SECRET_KEY: set it to a long random value")
        keys = [("SECRET_KEY", key), *(("SECRET_KEY_FALLBACKS", k) for k in config["SECRET_KEY_FALLBACKS"])]
        phone_keys = [config["SAHAYATA_PHONE_HASH_KEY"], *config["SAHAYATA_PHONE_HASH_KEY_PREVIOUS"]]
        keys += [("SAHAYATA_PHONE_HASH_KEY", k) for k in phone_keys if k]
        for name, value in keys:  # a fallback signs as much as the key itself
            if value == DEV_SECRET_KEY or len(str(value)) < MIN_SECRET_KEY_LENGTH:
                raise UnsafeStart(
                    f"{name} is too short or public: use at least {MIN_SECRET_KEY_LENGTH} random characters"
                )
        return
    declared = (env.get("SAHAYATA_ENV") or "").strip().lower() == DEVELOPMENT
    external = not str(config["DATABASE_URL"]).startswith("sqlite") or bool(config["REDIS_URL"])
    if external and not declared:
        raise UnsafeStart(
            "SECRET_KEY is not set: a start with DATABASE_URL or REDIS_URL is a deployment "
            "(set SECRET_KEY, or SAHAYATA_ENV=development on a developer's machine)"
        )


CONFIRM_SHARE = "SAHAYATA_CONFIRM_SHARE"


def confirm_share(env: os._Environ[str] | dict[str, str]) -> float:
    """SAHAYATA_CONFIRM_SHARE: the share of credited payments whose beneficiary is asked
    "did you receive it?", from 0 (nobody) to 1 (everyone); 0.1 unset. Anything else refuses
    the start: a typo must not silently ask nobody, or everyone."""
    raw = env.get(CONFIRM_SHARE, "").strip()
    if not raw:
        return 0.1
    try:
        share = float(raw)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:  # also refuses nan and inf
        raise UnsafeStart(f"{CONFIRM_SHARE} must be a number from 0 to 1 (e.g. 0.1), not {raw!r}")
    return share


def smtp_port(env: os._Environ[str] | dict[str, str]) -> int:
    """SMTP_PORT: 587 (submission with STARTTLS) unset; anything but a port refuses the start."""
    raw = env.get("SMTP_PORT", "").strip()
    if not raw:
        return 587
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 65536):
        raise UnsafeStart(f"SMTP_PORT must be a port number (e.g. 587), not {raw!r}")
    return int(raw)


RATE_MIN_DENOMINATOR = "SAHAYATA_RATE_MIN_DENOMINATOR"


def rate_min_denominator(env: os._Environ[str] | dict[str, str]) -> int:
    """SAHAYATA_RATE_MIN_DENOMINATOR: the fewest cases, people or answers a dashboard rate may
    be taken over (a district's complaints per 10,000 beneficiaries, a channel's failure
    rate, a screen's drop-off rate); below it the dashboard shows "—". 30 unset; a whole
    number of at least 1, anything else refuses the start."""
    raw = env.get(RATE_MIN_DENOMINATOR, "").strip()
    if not raw:
        return 30
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise UnsafeStart(f"{RATE_MIN_DENOMINATOR} must be a whole number of at least 1 (e.g. 30), not {raw!r}")
    return int(raw)


SENTINELS = "REDIS_SENTINELS"
SENTINEL_MASTER = "REDIS_SENTINEL_MASTER"
SENTINEL_PASSWORD = "REDIS_SENTINEL_PASSWORD"
# A host name or an IPv4 address; an IPv6 address goes in brackets ("[fd00::5]:26379").
_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
# The characters Sentinel allows in a master's name ("A-z 0-9 and the three characters
# .-_": the comment above `sentinel monitor` in Redis's sentinel.conf, Debian's
# /etc/redis/sentinel.conf).
_MASTER_NAME = re.compile(r"[A-Za-z0-9._-]+")


def _sentinel_address(item: str) -> tuple[str, int] | None:
    """``host:port`` as a pair, or None when it is not one."""
    host, colon, port = item.rpartition(":")
    if not colon or not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return None
    if host.startswith("[") and host.endswith("]"):
        try:
            return str(ipaddress.IPv6Address(host[1:-1])), int(port)
        except ValueError:
            return None
    return (host, int(port)) if _HOST_NAME.fullmatch(host) else None


def redis_sentinels(env: os._Environ[str] | dict[str, str]) -> tuple[tuple[str, int], ...]:
    """REDIS_SENTINELS: the sentinels to ask for the Redis master, as ``host:port`` pairs
    separated by commas; unset, Redis is REDIS_URL's server itself. A malformed pair refuses
    the start: a deployment that meant to fail over must not quietly run without."""
    raw = env.get(SENTINELS, "").strip()
    if not raw:
        return ()
    addresses = []
    for item in (part.strip() for part in raw.split(",")):
        address = _sentinel_address(item)
        if address is None:
            raise UnsafeStart(
                f"{SENTINELS} must be host:port pairs separated by commas "
                f"(e.g. 10.0.0.5:26379,10.0.0.6:26379), not {item!r}"
            )
        addresses.append(address)
    return tuple(addresses)


def redis_sentinel_settings(env: os._Environ[str] | dict[str, str]) -> dict[str, object]:
    """REDIS_SENTINELS, REDIS_SENTINEL_MASTER (the name in the sentinels' ``sentinel monitor``
    line) and REDIS_SENTINEL_PASSWORD (the sentinels' own ``requirepass``, if they have one):
    the two names go together, and either alone refuses the start."""
    sentinels = redis_sentinels(env)
    master = env.get(SENTINEL_MASTER, "").strip()
    if sentinels and not master:
        raise UnsafeStart(
            f"{SENTINELS} is set but {SENTINEL_MASTER} is not: set it to the master's name "
            "in the sentinels' `sentinel monitor` line"
        )
    if master and not sentinels:
        raise UnsafeStart(f"{SENTINEL_MASTER} is set but {SENTINELS} is not: list the sentinels as host:port pairs")
    if master and not _MASTER_NAME.fullmatch(master):
        raise UnsafeStart(f"{SENTINEL_MASTER} may hold only letters, digits and . - _, not {master!r}")
    return {
        SENTINELS: sentinels,
        SENTINEL_MASTER: master or None,
        SENTINEL_PASSWORD: env.get(SENTINEL_PASSWORD) or None,
    }


def settings_from_env(env: os._Environ[str] | dict[str, str] | None = None) -> dict[str, object]:
    """Return Flask config keys from the environment, with embedded defaults.

    Unset ``DATABASE_URL`` means SQLite under ``var/``; unset ``REDIS_URL`` means an
    in-process Redis stand-in with jobs run inline, so a fresh machine needs nothing else.
    """
    env = os.environ if env is None else env
    mode = mode_from_env(env)
    production = mode == PRODUCTION
    secure_default = "1" if production else "0"
    return {
        "SAHAYATA_ENV": mode,
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}",
        "REDIS_URL": env.get("REDIS_URL") or None,
        # Through Redis Sentinel when REDIS_SENTINELS is set (foundation/redis_connect.py).
        **redis_sentinel_settings(env),
        # A random per-process key would log everyone out on every restart and break
        # multi-node deployments, so production must set one; the default is for dev only.
        # The development key never signs anything in production (refuse_unsafe_start).
        "SECRET_KEY": env.get("SECRET_KEY") or ("" if production else DEV_SECRET_KEY),
        # Earlier keys, comma-separated, still accepted while a new SECRET_KEY rolls out.
        "SECRET_KEY_FALLBACKS": [k.strip() for k in env.get("SECRET_KEY_FALLBACKS", "").split(",") if k.strip()],
        # Phone hashes (opt-outs, duplicate complaints, who may ask about a complaint) have
        # their own key, so that rotating SECRET_KEY forgets no STOP. See SECURITY.md.
        "SAHAYATA_PHONE_HASH_KEY": env.get("SAHAYATA_PHONE_HASH_KEY", ""),
        "SAHAYATA_PHONE_HASH_KEY_PREVIOUS": [
            k.strip() for k in env.get("SAHAYATA_PHONE_HASH_KEY_PREVIOUS", "").split(",") if k.strip()
        ],
        # Requests bodies beyond this answer 413 (a USSD hop is ~100 bytes, a staff form ~1 KB).
        "MAX_CONTENT_LENGTH": int(env.get("SAHAYATA_MAX_BODY_BYTES", str(16 * 1024))),
        # Reverse proxies in front of this service whose X-Forwarded-For is believed.
        "SAHAYATA_PROXY_HOPS": int(env.get("SAHAYATA_PROXY_HOPS", "0")),
        "SAHAYATA_DEFAULT_LOCALE": env.get("SAHAYATA_DEFAULT_LOCALE", "bn"),
        # The USSD code citizens dial; SMS replies too long for 2 segments point to it.
        "SAHAYATA_USSD_CODE": env.get("SAHAYATA_USSD_CODE", "*123#"),
        # 0: the hot paths use their libraries plainly (SQLAlchemy's execution, redis-py's
        # client, Flask's form parser) instead of the bypasses that make them cheaper.
        FAST_PATH: env.get(FAST_PATH, "1") != "0",
        "SAHAYATA_RULES_CACHE_SECONDS": int(env.get("SAHAYATA_RULES_CACHE_SECONDS", "300")),
        "SAHAYATA_IMPORT_BATCH_SIZE": int(env.get("SAHAYATA_IMPORT_BATCH_SIZE", "5000")),
        # The share of credited payments whose beneficiary is asked whether it reached them.
        CONFIRM_SHARE: confirm_share(env),
        # Dashboards show a rate only over at least this many cases, people or answers.
        RATE_MIN_DENOMINATOR: rate_min_denominator(env),
        # Working days per grievance tier: officer, grievance redress officer, appeal (GRS).
        "SAHAYATA_SLA_WORKING_DAYS": tuple(int(n) for n in env.get("SAHAYATA_SLA_WORKING_DAYS", "30,30,20").split(",")),
        # The /simulator page dials as any number and reads its SMS: development only.
        "SAHAYATA_SIMULATOR": not production and env.get("SAHAYATA_SIMULATOR", "1") == "1",
        # A staff session unused for this long is signed out (a working day by default).
        "SAHAYATA_STAFF_IDLE_MINUTES": int(env.get("SAHAYATA_STAFF_IDLE_MINUTES", "480")),
        # Staff session cookies: not readable by scripts, not sent by other sites' forms, and
        # over HTTPS only once deployed (SECRET_KEY set).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", secure_default) == "1",
        "REMEMBER_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", secure_default) == "1",
        # Which provider sends SMS alerts; "console" keeps them in Redis for the simulator.
        "SMS_PROVIDER": env.get("SMS_PROVIDER", "console"),
        # The provider's rate in messages per second, shared by all workers (0: no limit).
        "SMS_RATE_PER_SECOND": float(env.get("SMS_RATE_PER_SECOND", "0")),
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID", ""),
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_FROM": env.get("TWILIO_FROM") or None,
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
        # The address Twilio was given for this service (signatures are over that URL).
        "TWILIO_PUBLIC_BASE_URL": env.get("TWILIO_PUBLIC_BASE_URL", "").rstrip("/"),
        # Kannel's sendsms interface (outbound), and where Kannel reaches us for delivery reports.
        "KANNEL_SENDSMS_URL": env.get("KANNEL_SENDSMS_URL", "http://127.0.0.1:13013/cgi-bin/sendsms"),
        "KANNEL_USERNAME": env.get("KANNEL_USERNAME", "sahayata"),
        "KANNEL_PASSWORD": env.get("KANNEL_PASSWORD", ""),
        "KANNEL_FROM": env.get("KANNEL_FROM", "16000"),
        "KANNEL_SMSC_ID": env.get("KANNEL_SMSC_ID") or None,
        "KANNEL_DLR_BASE_URL": env.get("KANNEL_DLR_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # The key Kannel's sms-service puts in the inbound URL; unset, inbound is refused.
        "KANNEL_INBOUND_KEY": env.get("KANNEL_INBOUND_KEY", ""),
        # bdapps (Robi/Airtel) posts screens back asynchronously to this URL.
        "BDAPPS_USSD_SEND_URL": env.get("BDAPPS_USSD_SEND_URL", "http://127.0.0.1:7000/ussd/send"),
        "BDAPPS_APP_ID": env.get("BDAPPS_APP_ID", "APP_000000"),
        "BDAPPS_APP_PASSWORD": env.get("BDAPPS_APP_PASSWORD", ""),
        # The daily digest's email goes through this SMTP server; no host means no email (the
        # digest job says so in its log and still sends the SMS digests).
        "SMTP_HOST": env.get("SMTP_HOST", "").strip(),
        "SMTP_PORT": smtp_port(env),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_FROM": env.get("SMTP_FROM", "").strip() or "sahayata@localhost",
        # On unless set to 0: a password and the digest's case list cross the network only
        # encrypted, and a server that offers no STARTTLS is refused rather than used in clear.
        "SMTP_STARTTLS": env.get("SMTP_STARTTLS", "1") != "0",
        # Where staff reach this service (https://…, without /staff): the digest links each
        # case to its page there. Unset: no links.
        "SAHAYATA_STAFF_BASE_URL": env.get("SAHAYATA_STAFF_BASE_URL", "").strip().rstrip("/"),
    }
