"""One adapter per USSD gateway dialect, all over the same engine."""
