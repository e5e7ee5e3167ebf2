"""A stand-in inference server: same OpenAI endpoints, deterministic pictures, no model weights."""
