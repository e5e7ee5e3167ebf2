"""Durable storage: database tables, content-addressed image files."""
