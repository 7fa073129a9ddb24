//! The production Telegram port over grammers-client 0.11, with sessions stored in Postgres.
