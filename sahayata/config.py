"""Settings read from environment variables (listed in README.md)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "sahayata.db"
DEV_SECRET_KEY = "dev-only-insecure-key"


def settings_from_env(env: os._Environ[str] | dict[str, str] | None = None) -> dict[str, object]:
    """Return Flask config keys from the environment, with embedded defaults.

    Unset ``DATABASE_URL`` means SQLite under ``var/``; unset ``REDIS_URL`` means an
    in-process Redis stand-in with jobs run inline, so a fresh machine needs nothing else.
    """
    env = os.environ if env is None else env
    return {
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}",
        "REDIS_URL": env.get("REDIS_URL") or None,
        # A random per-process key would log everyone out on every restart and break
        # multi-node deployments, so production must set one; the default is for dev only.
        "SECRET_KEY": env.get("SECRET_KEY") or DEV_SECRET_KEY,
        "SAHAYATA_DEFAULT_LOCALE": env.get("SAHAYATA_DEFAULT_LOCALE", "bn"),
        # The USSD code citizens dial; SMS replies too long for 2 segments point to it.
        "SAHAYATA_USSD_CODE": env.get("SAHAYATA_USSD_CODE", "*123#"),
        "SAHAYATA_RULES_CACHE_SECONDS": int(env.get("SAHAYATA_RULES_CACHE_SECONDS", "300")),
        "SAHAYATA_IMPORT_BATCH_SIZE": int(env.get("SAHAYATA_IMPORT_BATCH_SIZE", "5000")),
        # Working days per grievance tier: officer, grievance redress officer, appeal (GRS).
        "SAHAYATA_SLA_WORKING_DAYS": tuple(int(n) for n in env.get("SAHAYATA_SLA_WORKING_DAYS", "30,30,20").split(",")),
        # The /simulator page dials as any number: on only where SECRET_KEY is the dev default.
        "SAHAYATA_SIMULATOR": env.get("SAHAYATA_SIMULATOR", "1" if not env.get("SECRET_KEY") else "0") == "1",
        # Staff session cookies: not readable by scripts, not sent by other sites' forms, and
        # over HTTPS only once deployed (SECRET_KEY set).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "1" if env.get("SECRET_KEY") else "0") == "1",
        "REMEMBER_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "1" if env.get("SECRET_KEY") else "0") == "1",
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
    }
