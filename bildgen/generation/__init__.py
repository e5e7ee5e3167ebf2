"""Use cases of generating, shared by every front (the studio, the `/v1` API, batches): no Reflex here."""
