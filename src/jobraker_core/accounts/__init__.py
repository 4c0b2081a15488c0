"""Accounts: users, authentication, two-factor, profiles and preferences, audit, export and erasure."""
