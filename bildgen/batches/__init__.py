"""Batches of prompts run as jobs, inference packs, and the comparison of runs (no Reflex here)."""
