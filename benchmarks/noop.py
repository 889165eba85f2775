"""A job that does nothing: RQ's own per-job cost, the floor for the grievance benchmark."""


def noop() -> None:
    return None
