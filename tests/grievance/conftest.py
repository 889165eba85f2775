"""Grievance tests share fixtures from tests/conftest.py and factories from tests/factories.py."""

import pytest
from sqlalchemy import delete

from grievance.models import HolidayChange


@pytest.fixture
def no_recorded_changes(app):
    """Holiday changes a test records are gone after it: the calendar is shared by the run."""
    yield
    with app.app_context():
        from foundation.db import db_session

        session = db_session()
        session.rollback()
        session.execute(delete(HolidayChange))
        session.commit()
