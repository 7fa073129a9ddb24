//! Typed, layered configuration shared by every tgfleet binary.
