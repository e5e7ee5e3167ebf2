"""bildgen's own OpenAI-compatible image API under /v1: per-user tokens, synchronous calls and
async tasks, all of them jobs of the one queue (their images land in the user's gallery)."""
