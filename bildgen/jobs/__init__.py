"""Jobs owned by the server: the queue (queue.py) and the runner each worker process runs (runner.py)."""
