"""Thin Reflex states: form values, ids and URLs; the work is done by the core modules."""
