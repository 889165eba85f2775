import pytest

from grievance.intake import Filing
from grievance.models import Category, Channel


@pytest.fixture
def no_dispatch(monkeypatch):
    """File without enqueueing: the tests run the jobs themselves."""
    calls = []
    monkeypatch.setattr("grievance.jobs.dispatch", lambda entries: calls.extend(entries) or len(entries))
    return calls


def make_filing(**changes) -> Filing:
    values = {
        "phone": "+8801712345678",
        "category": Category.PAYMENT_NOT_RECEIVED,
        "programme_code": "OAA",
        "text": "no money since July",
        "channel": Channel.USSD,
        "locale": "bn",
    }
    return Filing(**{**values, **changes})
