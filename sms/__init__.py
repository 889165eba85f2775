"""SMS: providers, alerts and two-way commands (issue 5; nothing here yet)."""
