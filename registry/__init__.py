"""The single social-protection registry: citizens, households, programmes, payments, e-tokens."""
