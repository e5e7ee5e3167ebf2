"""The states' name for bildgen.ops.outages (the core's background work uses it too)."""

from bildgen.ops.outages import RECONNECTING, is_outage, note_failure

__all__ = ["RECONNECTING", "is_outage", "note_failure"]
