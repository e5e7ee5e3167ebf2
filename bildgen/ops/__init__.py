"""What operators watch: readiness checks (health.py) and Prometheus metrics (metrics.py)."""
