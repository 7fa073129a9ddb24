//! activity: keeps accounts alive by reading chats, viewing stories and rare reactions.
