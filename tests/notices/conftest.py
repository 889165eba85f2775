from tests.sms_support import caller_with_money, kannel, no_opt_outs_left, twilio  # noqa: F401  (fixtures)
