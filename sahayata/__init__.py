"""Core of the Sahayata service: configuration, database, job queues, health, i18n."""
