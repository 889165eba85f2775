"""Grievances: intake, routing, SLA clocks, escalation, the citizen's answers and the
outbox of work that follows a change."""
