"""Groups and team governance: people in groups (made by administrators or named by the identity
provider's groups claim), per-group model allow-lists, group quotas, and usage per group and profile.
Reflex-free; the Admin area's Groups page, the queue's admission and /v1 read it."""
