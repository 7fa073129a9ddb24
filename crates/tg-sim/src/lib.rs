//! A simulated Telegram server speaking MTProto 2.0 (layer of grammers 0.11) over loopback.
