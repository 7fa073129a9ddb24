//! The Telegram port implemented in-process over the simulated world.
