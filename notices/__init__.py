"""Citizen notices: what a citizen is told without asking (payment and e-token alerts,
campaigns, complaint updates), worded in their language and handed to the outbound pipe."""
