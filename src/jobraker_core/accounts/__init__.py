"""Accounts: users, sign-in, two-factor, profiles and preferences, audit, export, erasure."""
