"""Leakage signals for the monitoring division: set-wise queries over the registry, the
redemptions and the beneficiaries' own answers, each finding a pattern that suggests money
or goods did not reach the person they were meant for (monitoring.signals lists them)."""
