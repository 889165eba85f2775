"""USSD self-service: gateway adapters over one session engine (issue 3; nothing here yet)."""
