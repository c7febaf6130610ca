"""Accounts and privacy: linking identities, data export and erasure."""
