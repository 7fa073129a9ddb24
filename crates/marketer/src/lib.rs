//! marketer: posts campaign messages after a write-permission pre-check, within windows, caps and gaps.
