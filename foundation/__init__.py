"""What every package needs and nothing else: settings, database, job queues, cache,
clock, locale and number formatting, privacy hashes, masking and bulk writes."""
