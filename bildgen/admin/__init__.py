"""The Admin area's core: settings, profiles, providers and their keys, users, usage and quotas.

Pure Python (no Reflex): the thin states in bildgen/state/admin_*.py call these functions, and the
job queue's admission check reads them. Every change is recorded in the audit log in the same
transaction, with its old and new value (secrets masked), and bumps the configuration version so
that every worker process notices it.
"""
