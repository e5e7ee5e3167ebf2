"""Accounts, password hashing, server-side sessions and sign-in throttling (no Reflex here)."""
