//! Server salts: one per hour, derived from a per-server secret.
//!
//! The server accepts any salt a client sends and never answers `bad_server_salt`: grammers
//! starts every connection with salt 0 and learns the real one from `new_session_created`,
//! then asks `get_future_salts` once it holds a single non-zero salt and sends nothing else
//! until the answer arrives. That answer is therefore a bare `future_salts` message (as
//! Telegram sends it); wrapped in `rpc_result` the client would wait forever.

use std::time::{SystemTime, UNIX_EPOCH};

use grammers_tl_types as tl;

const SALT_PERIOD_SECS: i64 = 3600;
const MAX_FUTURE_SALTS: i32 = 64;

/// The hourly salts of one server.
#[derive(Debug, Clone)]
pub struct SaltSchedule {
    secret: u64,
}

impl SaltSchedule {
    /// A schedule derived from `secret`.
    pub fn new(secret: u64) -> Self {
        Self { secret }
    }

    /// The salt valid now.
    pub fn current(&self) -> i64 {
        self.salt_for_period(unix_now() / SALT_PERIOD_SECS)
    }

    /// The `future_salts` answer to `get_future_salts num` sent as message `req_msg_id`:
    /// `num` (1..=64) consecutive hourly salts starting with the current one.
    pub fn future_salts(&self, req_msg_id: i64, num: i32) -> tl::enums::FutureSalts {
        let now = unix_now();
        let first_period = now / SALT_PERIOD_SECS;
        let salts = (0..i64::from(num.clamp(1, MAX_FUTURE_SALTS)))
            .map(|offset| {
                let period = first_period + offset;
                tl::types::FutureSalt {
                    valid_since: to_i32(period * SALT_PERIOD_SECS),
                    valid_until: to_i32((period + 1) * SALT_PERIOD_SECS),
                    salt: self.salt_for_period(period),
                }
            })
            .collect();
        tl::enums::FutureSalts::Salts(tl::types::FutureSalts {
            req_msg_id,
            now: to_i32(now),
            salts: tl::RawVec(salts),
        })
    }

    fn salt_for_period(&self, period: i64) -> i64 {
        let mixed = splitmix64(self.secret ^ (period as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        // Salt 0 is what a client without a salt sends; never hand it out.
        (mixed | 1) as i64
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn to_i32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_salts_start_now_and_are_consecutive() {
        let schedule = SaltSchedule::new(7);
        let tl::enums::FutureSalts::Salts(answer) = schedule.future_salts(99, 64);
        assert_eq!(answer.req_msg_id, 99);
        let salts = answer.salts.0;
        assert_eq!(salts.len(), 64);
        assert_eq!(salts[0].salt, schedule.current());
        assert!(salts[0].valid_since <= answer.now && answer.now < salts[0].valid_until);
        for pair in salts.windows(2) {
            assert_eq!(pair[0].valid_until, pair[1].valid_since);
            assert_ne!(pair[0].salt, pair[1].salt);
        }
        assert!(salts.iter().all(|s| s.salt != 0));
    }

    #[test]
    fn requested_count_is_clamped() {
        let schedule = SaltSchedule::new(1);
        let count = |num| {
            let tl::enums::FutureSalts::Salts(answer) = schedule.future_salts(0, num);
            answer.salts.0.len()
        };
        assert_eq!((count(0), count(3), count(1000)), (1, 3, 64));
    }
}
