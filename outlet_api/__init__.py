"""The JSON channel for outlet apps: a dealer's or clinic's app starts a redemption and
enters the beneficiary's code. Thin handlers over registry.redemptions."""
