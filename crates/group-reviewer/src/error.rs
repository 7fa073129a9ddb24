//! Why a review could not run, and the exit code each reason maps to.

use tgfleet_store::StoreError;

/// A review that could not run (as opposed to one that ran and found problems).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The database failed (unreachable, or a query failed midway).
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// No account could review anything: every responsible account is suspended,
    /// resting, unauthorized or deactivated, or refused to connect.
    #[error("no usable account: {0}")]
    NoUsableAccount(String),
}

impl ReviewError {
    /// The process exit code: 2 when the environment is not ready (the database is
    /// unreachable, missing or behind its migrations, as `tgfleet` uses 2), 3 when
    /// no account can review, 1 for any other database failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Store(error) if error.is_environment() => 2,
            Self::Store(_) => 1,
            Self::NoUsableAccount(_) => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_tell_the_causes_apart() {
        let unreachable = ReviewError::Store(StoreError::Unreachable {
            target: "database tgfleet on 127.0.0.1:5432 as tgfleet".into(),
            reason: "connection refused".into(),
        });
        assert_eq!(unreachable.exit_code(), 2);
        assert_eq!(
            ReviewError::Store(StoreError::NotFound {
                what: "group 7".into()
            })
            .exit_code(),
            1
        );
        let no_account = ReviewError::NoUsableAccount("acc0001 is suspended".into());
        assert_eq!(no_account.exit_code(), 3);
        assert_eq!(
            no_account.to_string(),
            "no usable account: acc0001 is suspended"
        );
    }
}
