"""The composition root: the app factory, the CLI, the scheduler and health checks.

The only package that may import every other; it wires the channels' blueprints and the
domains' hooks to the citizen notices."""
