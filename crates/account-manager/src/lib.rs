//! account-manager: joins assigned groups in timed slots with per-slot limits and random pauses.
