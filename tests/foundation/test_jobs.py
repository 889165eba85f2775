"""Jobs run inline in embedded mode and in `flask --app wsgi worker` processes with Redis."""

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from rq import Queue

from foundation.config import PROJECT_ROOT
from foundation.jobs import NoAppContext, enqueue, enqueue_together, jobs_run_inline, with_app_context
from registry.jobs import rescore_households_job
from registry.models import Household
from tests.factories import AS_OF, make_citizen, make_household


def _stale_household(session) -> Household:
    household = make_household(session, monthly_income_bdt=Decimal(1000), land_decimal=Decimal(0))
    make_citizen(session, household=household, rescore=False)
    session.commit()
    assert household.vulnerability_score == 0
    return household


def test_embedded_mode_runs_jobs_inline(session, redis_url):
    if redis_url:
        assert not jobs_run_inline()
        return  # covered by the worker test below in this mode
    household = _stale_household(session)
    job = enqueue(rescore_households_job, [household.id], AS_OF.isoformat())
    assert job.is_finished and job.return_value() == 1
    session.refresh(household)
    assert household.vulnerability_score > 0


@pytest.mark.parametrize("fork", [[], ["--fork"]], ids=["in-process", "work-horse"])
def test_rq_worker_process_runs_queued_jobs(session, real_redis, database_url, redis_url, fork):
    """The worker runs each job in its app's context, in a forked work horse too."""
    household = _stale_household(session)
    job = enqueue(rescore_households_job, [household.id], AS_OF.isoformat())
    assert Queue("default", connection=real_redis).count == 1  # queued, not yet run
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst", *fork],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    job.refresh()
    assert job.is_finished and job.return_value() == 1
    session.refresh(household)
    assert household.vulnerability_score > 0


def test_worker_command_refuses_embedded_mode(cli, redis_url):
    if redis_url:
        return
    result = cli.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def greet(phone: str) -> str:
    return f"hello {phone}"


@with_app_context
def needs_the_app() -> str:
    return "ran"


def test_a_job_outside_an_app_context_fails_naming_the_worker_to_run_it(app):
    # What a bare `rq worker` would do: call the job with no app around it.
    with pytest.raises(NoAppContext, match=r"needs_the_app needs the app: run jobs with `flask --app wsgi worker`"):
        needs_the_app()
    with app.app_context():
        assert needs_the_app() == "ran"


def test_a_jobs_description_names_its_function_but_not_its_arguments(app_context):
    # A worker logs each job's description; a phone number must not reach the log.
    job = enqueue(greet, "+8801712345678", queue_name="test-descriptions")
    try:
        assert job.description == "tests.foundation.test_jobs.greet"
    finally:
        job.delete()


def test_jobs_enqueued_together_land_each_in_its_own_queue(app_context, real_redis):
    from rq.job import Job

    enqueue_together([(len, ("abc",), "default"), (len, ("de",), "sms")])
    default, sms = Queue("default", connection=real_redis), Queue("sms", connection=real_redis)
    assert (default.count, sms.count) == (1, 1)
    job = Job.fetch(default.job_ids[0], connection=real_redis)
    assert job.args == ("abc",) and job.description == "builtins.len"
