"""The scheduler's job: publish finished months ahead of the first download.

A download publishes any finished month still missing, so this job only makes the files
ready (and their published_at close to each month's end); running it often is harmless,
because a month already published is left exactly as it is.
"""

from __future__ import annotations

from foundation.db import db_session
from foundation.jobs import with_app_context
from staff.opendata.publish import publish_finished_months


@with_app_context
def publish_finished_months_job() -> list[str]:
    return [str(month) for month in publish_finished_months(db_session())]
