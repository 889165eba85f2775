"""The outbound message pipe: SMS rows, sending through a provider at the provider's rate,
delivery receipts and opt-outs. It knows how to send, not what to say."""
