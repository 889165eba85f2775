"""Grievance tests share fixtures from tests/conftest.py and factories from tests/factories.py."""
