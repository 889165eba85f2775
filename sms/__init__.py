"""The SMS channel, inbound only: provider webhooks, the command parser and the wording of
replies. Sending is the outbound pipe's (outbound_sms), what to say unasked the notices'."""
