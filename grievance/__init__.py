"""Grievances: intake, routing, SLA clocks and escalation (issue 4; nothing here yet)."""
