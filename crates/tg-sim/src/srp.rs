//! The server side of Telegram's two-factor SRP login
//! (`passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow`).
//!
//! The client side is `grammers_crypto::two_factor_auth::calculate_2fa`:
//! `x = PH2(password, salt1, salt2)`, `v = g^x`, `k = H(p | g)`, `u = H(A | B)`,
//! `M1 = H(H(p) xor H(g) | H(salt1) | H(salt2) | A | B | H(S))`. The server picks a secret
//! `b`, sends `B = k·v + g^b (mod p)`, and computes `S = (A · v^u)^b (mod p)`, which equals the
//! client's `(B − k·v)^(a + u·x)`.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::Mutex;

use grammers_tl_types as tl;
use num_bigint::BigUint;
use sha2::{Digest, Sha256, Sha512};

use crate::backend::RpcError;
use crate::crypto::{fill_random, random_i64};

/// The generator Telegram uses with [`TELEGRAM_PRIME`].
pub const TELEGRAM_GENERATOR: i32 = 3;

/// Telegram's well-known 2048-bit safe prime for SRP (big endian).
pub const TELEGRAM_PRIME: [u8; 256] = [
    0xc7, 0x1c, 0xae, 0xb9, 0xc6, 0xb1, 0xc9, 0x04, 0x8e, 0x6c, 0x52, 0x2f, 0x70, 0xf1, 0x3f, 0x73,
    0x98, 0x0d, 0x40, 0x23, 0x8e, 0x3e, 0x21, 0xc1, 0x49, 0x34, 0xd0, 0x37, 0x56, 0x3d, 0x93, 0x0f,
    0x48, 0x19, 0x8a, 0x0a, 0xa7, 0xc1, 0x40, 0x58, 0x22, 0x94, 0x93, 0xd2, 0x25, 0x30, 0xf4, 0xdb,
    0xfa, 0x33, 0x6f, 0x6e, 0x0a, 0xc9, 0x25, 0x13, 0x95, 0x43, 0xae, 0xd4, 0x4c, 0xce, 0x7c, 0x37,
    0x20, 0xfd, 0x51, 0xf6, 0x94, 0x58, 0x70, 0x5a, 0xc6, 0x8c, 0xd4, 0xfe, 0x6b, 0x6b, 0x13, 0xab,
    0xdc, 0x97, 0x46, 0x51, 0x29, 0x69, 0x32, 0x84, 0x54, 0xf1, 0x8f, 0xaf, 0x8c, 0x59, 0x5f, 0x64,
    0x24, 0x77, 0xfe, 0x96, 0xbb, 0x2a, 0x94, 0x1d, 0x5b, 0xcd, 0x1d, 0x4a, 0xc8, 0xcc, 0x49, 0x88,
    0x07, 0x08, 0xfa, 0x9b, 0x37, 0x8e, 0x3c, 0x4f, 0x3a, 0x90, 0x60, 0xbe, 0xe6, 0x7c, 0xf9, 0xa4,
    0xa4, 0xa6, 0x95, 0x81, 0x10, 0x51, 0x90, 0x7e, 0x16, 0x27, 0x53, 0xb5, 0x6b, 0x0f, 0x6b, 0x41,
    0x0d, 0xba, 0x74, 0xd8, 0xa8, 0x4b, 0x2a, 0x14, 0xb3, 0x14, 0x4e, 0x0e, 0xf1, 0x28, 0x47, 0x54,
    0xfd, 0x17, 0xed, 0x95, 0x0d, 0x59, 0x65, 0xb4, 0xb9, 0xdd, 0x46, 0x58, 0x2d, 0xb1, 0x17, 0x8d,
    0x16, 0x9c, 0x6b, 0xc4, 0x65, 0xb0, 0xd6, 0xff, 0x9c, 0xa3, 0x92, 0x8f, 0xef, 0x5b, 0x9a, 0xe4,
    0xe4, 0x18, 0xfc, 0x15, 0xe8, 0x3e, 0xbe, 0xa0, 0xf8, 0x7f, 0xa9, 0xff, 0x5e, 0xed, 0x70, 0x05,
    0x0d, 0xed, 0x28, 0x49, 0xf4, 0x7b, 0xf9, 0x59, 0xd9, 0x56, 0x85, 0x0c, 0xe9, 0x29, 0x85, 0x1f,
    0x0d, 0x81, 0x15, 0xf6, 0x35, 0xb1, 0x05, 0xee, 0x2e, 0x4e, 0x15, 0xd0, 0x4b, 0x24, 0x54, 0xbf,
    0x6f, 0x4f, 0xad, 0xf0, 0x34, 0xb1, 0x04, 0x03, 0x11, 0x9c, 0xd8, 0xe3, 0xb9, 0x2f, 0xcc, 0x5b,
];

const PBKDF2_ROUNDS: u32 = 100_000;

/// What the server keeps for an account's 2FA password: salts and the SRP verifier
/// `v = g^x mod p`. `Debug` does not print the verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordVerifier {
    salt1: Vec<u8>,
    salt2: Vec<u8>,
    verifier: BigUint,
    hint: Option<String>,
}

impl fmt::Debug for PasswordVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordVerifier")
            .field("hint", &self.hint)
            .finish_non_exhaustive()
    }
}

impl PasswordVerifier {
    /// Derives the verifier of `password` with fresh random salts. Slow on purpose
    /// (PBKDF2, 100 000 rounds): derive once per account, not per login.
    pub fn derive(password: &[u8], hint: Option<String>) -> Self {
        let mut salt1 = vec![0u8; 40];
        let mut salt2 = vec![0u8; 16];
        fill_random(&mut salt1);
        fill_random(&mut salt2);
        Self::derive_with_salts(password, salt1, salt2, hint)
    }

    /// Derives the verifier of `password` with the given salts.
    pub fn derive_with_salts(
        password: &[u8],
        salt1: Vec<u8>,
        salt2: Vec<u8>,
        hint: Option<String>,
    ) -> Self {
        let x = BigUint::from_bytes_be(&password_hash(password, &salt1, &salt2));
        let verifier = generator().modpow(&x, &prime());
        Self {
            salt1,
            salt2,
            verifier,
            hint,
        }
    }

    /// The `current_algo` a client needs to compute its proof.
    pub fn algo(&self) -> tl::enums::PasswordKdfAlgo {
        tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(
            tl::types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
                salt1: self.salt1.clone(),
                salt2: self.salt2.clone(),
                g: TELEGRAM_GENERATOR,
                p: TELEGRAM_PRIME.to_vec(),
            },
        )
    }

    /// Starts a login attempt: a fresh secret `b` and the public `B` sent as `srp_B`.
    pub fn challenge(&self) -> SrpChallenge {
        let mut secret = [0u8; 256];
        fill_random(&mut secret);
        let b = BigUint::from_bytes_be(&secret);
        let p = prime();
        let g_b = (multiplier() * &self.verifier + generator().modpow(&b, &p)) % &p;
        SrpChallenge {
            srp_id: random_i64(),
            b,
            g_b: pad_256(&g_b),
        }
    }

    /// The `account.password` answer for a new challenge.
    pub fn account_password(&self, challenge: &SrpChallenge) -> tl::types::account::Password {
        tl::types::account::Password {
            has_password: true,
            current_algo: Some(self.algo()),
            srp_b: Some(challenge.g_b.to_vec()),
            srp_id: Some(challenge.srp_id),
            hint: self.hint.clone(),
            ..no_password()
        }
    }
}

/// One login attempt's server secret. `Debug` does not print the secret.
#[derive(Clone)]
pub struct SrpChallenge {
    /// The id the client echoes in `inputCheckPasswordSRP.srp_id`.
    pub srp_id: i64,
    b: BigUint,
    g_b: [u8; 256],
}

impl fmt::Debug for SrpChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpChallenge")
            .field("srp_id", &self.srp_id)
            .finish_non_exhaustive()
    }
}

impl SrpChallenge {
    /// The public value `B` (256 bytes, big endian).
    pub fn g_b(&self) -> &[u8; 256] {
        &self.g_b
    }

    /// Whether the client's `A` and `M1` prove knowledge of the verifier's password.
    pub fn verify(&self, verifier: &PasswordVerifier, a: &[u8], m1: &[u8]) -> bool {
        let p = prime();
        let big_a = BigUint::from_bytes_be(a);
        if a.len() > 256 || big_a <= BigUint::from(1u8) || big_a >= &p - 1u8 {
            return false;
        }
        let a = pad_256(&big_a);
        let u = BigUint::from_bytes_be(&sha256(&[&a, &self.g_b]));
        let shared = (&big_a * verifier.verifier.modpow(&u, &p)).modpow(&self.b, &p);
        let k_a = sha256(&[&pad_256(&shared)]);
        let p_xor_g: Vec<u8> = sha256(&[&TELEGRAM_PRIME])
            .iter()
            .zip(sha256(&[&generator_padded()]))
            .map(|(left, right)| left ^ right)
            .collect();
        let expected = sha256(&[
            &p_xor_g,
            &sha256(&[&verifier.salt1]),
            &sha256(&[&verifier.salt2]),
            &a,
            &self.g_b,
            &k_a,
        ]);
        m1 == expected
    }
}

/// The latest SRP challenge per owner (a user, an auth key...), for `account.getPassword` /
/// `auth.checkPassword`. A new challenge replaces the owner's previous one, as on Telegram.
#[derive(Debug)]
pub struct PendingChallenges<K> {
    by_owner: Mutex<HashMap<K, SrpChallenge>>,
}

impl<K> Default for PendingChallenges<K> {
    fn default() -> Self {
        Self {
            by_owner: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash> PendingChallenges<K> {
    /// Issues a challenge for `owner` and returns the `account.password` answer.
    pub fn issue(&self, owner: K, verifier: &PasswordVerifier) -> tl::types::account::Password {
        let challenge = verifier.challenge();
        let answer = verifier.account_password(&challenge);
        self.by_owner
            .lock()
            .expect("challenge lock is never poisoned")
            .insert(owner, challenge);
        answer
    }

    /// Checks `auth.checkPassword`'s input against `owner`'s challenge. On success the
    /// challenge is used up; errors are `400 SRP_ID_INVALID` (no such challenge) and
    /// `400 PASSWORD_HASH_INVALID` (wrong password).
    pub fn check(
        &self,
        owner: &K,
        input: &tl::enums::InputCheckPasswordSrp,
        verifier: &PasswordVerifier,
    ) -> Result<(), RpcError> {
        let tl::enums::InputCheckPasswordSrp::Srp(input) = input else {
            return Err(RpcError::new(400, "PASSWORD_HASH_INVALID"));
        };
        let mut by_owner = self
            .by_owner
            .lock()
            .expect("challenge lock is never poisoned");
        let challenge = by_owner
            .get(owner)
            .filter(|challenge| challenge.srp_id == input.srp_id)
            .ok_or_else(|| RpcError::new(400, "SRP_ID_INVALID"))?;
        if !challenge.verify(verifier, &input.a, &input.m1) {
            return Err(RpcError::new(400, "PASSWORD_HASH_INVALID"));
        }
        by_owner.remove(owner);
        Ok(())
    }
}

/// The `account.password` of an account without a 2FA password.
pub fn no_password() -> tl::types::account::Password {
    let mut salt1 = vec![0u8; 8];
    let mut salt2 = vec![0u8; 16];
    let mut secure_salt = vec![0u8; 8];
    let mut secure_random = vec![0u8; 256];
    for buffer in [&mut salt1, &mut salt2, &mut secure_salt, &mut secure_random] {
        fill_random(buffer);
    }
    tl::types::account::Password {
        has_recovery: false,
        has_secure_values: false,
        has_password: false,
        current_algo: None,
        srp_b: None,
        srp_id: None,
        hint: None,
        email_unconfirmed_pattern: None,
        new_algo: tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(
            tl::types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
                salt1,
                salt2,
                g: TELEGRAM_GENERATOR,
                p: TELEGRAM_PRIME.to_vec(),
            },
        ),
        new_secure_algo: tl::enums::SecurePasswordKdfAlgo::Pbkdf2Hmacsha512iter100000(
            tl::types::SecurePasswordKdfAlgoPbkdf2Hmacsha512iter100000 { salt: secure_salt },
        ),
        secure_random,
        pending_reset_date: None,
        login_email_pattern: None,
    }
}

/// `PH2(password, salt1, salt2)`, the SRP private value `x` (big endian).
fn password_hash(password: &[u8], salt1: &[u8], salt2: &[u8]) -> [u8; 32] {
    let salted = |data: &[u8], salt: &[u8]| sha256(&[salt, data, salt]);
    let ph1 = salted(&salted(password, salt1), salt2);
    let mut derived = [0u8; 64];
    pbkdf2::pbkdf2_hmac::<Sha512>(&ph1, salt1, PBKDF2_ROUNDS, &mut derived);
    salted(&derived, salt2)
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn prime() -> BigUint {
    BigUint::from_bytes_be(&TELEGRAM_PRIME)
}

fn generator() -> BigUint {
    BigUint::from(TELEGRAM_GENERATOR as u32)
}

fn generator_padded() -> [u8; 256] {
    pad_256(&generator())
}

/// `k = H(p | g)`.
fn multiplier() -> BigUint {
    BigUint::from_bytes_be(&sha256(&[&TELEGRAM_PRIME, &generator_padded()]))
}

fn pad_256(value: &BigUint) -> [u8; 256] {
    let bytes = value.to_bytes_be();
    let mut padded = [0u8; 256];
    padded[256 - bytes.len()..].copy_from_slice(&bytes);
    padded
}

#[cfg(test)]
mod tests {
    use grammers_crypto::two_factor_auth::{calculate_2fa, check_p_and_g};

    use super::*;

    /// What grammers' `Client::check_password` computes from an `account.password`.
    fn client_proof(answer: &tl::types::account::Password, password: &str) -> (Vec<u8>, Vec<u8>) {
        let Some(tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(
            algo,
        )) = &answer.current_algo
        else {
            panic!("no current algo");
        };
        assert!(check_p_and_g(&algo.p, &algo.g));
        let (m1, g_a) = calculate_2fa(
            &algo.salt1,
            &algo.salt2,
            &algo.p,
            &algo.g,
            answer.srp_b.clone().unwrap(),
            answer.secure_random.clone(),
            password,
        );
        (g_a.to_vec(), m1.to_vec())
    }

    fn srp_input(srp_id: i64, (a, m1): (Vec<u8>, Vec<u8>)) -> tl::enums::InputCheckPasswordSrp {
        tl::enums::InputCheckPasswordSrp::Srp(tl::types::InputCheckPasswordSrp { srp_id, a, m1 })
    }

    #[test]
    fn telegram_prime_passes_the_clients_check() {
        assert!(check_p_and_g(&TELEGRAM_PRIME, &TELEGRAM_GENERATOR));
    }

    #[test]
    fn grammers_proof_is_accepted_for_the_right_password_only() {
        let verifier = PasswordVerifier::derive(b"correct horse", Some("horse".into()));
        let challenges = PendingChallenges::default();

        let answer = challenges.issue(1u8, &verifier);
        assert!(answer.has_password);
        assert_eq!(answer.hint.as_deref(), Some("horse"));
        let srp_id = answer.srp_id.unwrap();

        let wrong = srp_input(srp_id, client_proof(&answer, "battery staple"));
        assert_eq!(
            challenges.check(&1, &wrong, &verifier),
            Err(RpcError::new(400, "PASSWORD_HASH_INVALID"))
        );
        let right = srp_input(srp_id, client_proof(&answer, "correct horse"));
        assert_eq!(challenges.check(&1, &right, &verifier), Ok(()));
        assert_eq!(
            challenges.check(&1, &right, &verifier),
            Err(RpcError::new(400, "SRP_ID_INVALID")),
            "a challenge is used once"
        );
    }

    #[test]
    fn a_new_challenge_replaces_the_old_one() {
        let verifier = PasswordVerifier::derive_with_salts(b"pw", vec![1; 40], vec![2; 16], None);
        let challenges = PendingChallenges::default();
        let first = challenges.issue("key", &verifier);
        let second = challenges.issue("key", &verifier);
        assert_ne!(first.srp_b, second.srp_b);
        let stale = srp_input(first.srp_id.unwrap(), client_proof(&first, "pw"));
        assert_eq!(
            challenges.check(&"key", &stale, &verifier),
            Err(RpcError::new(400, "SRP_ID_INVALID"))
        );
        let fresh = srp_input(second.srp_id.unwrap(), client_proof(&second, "pw"));
        assert_eq!(challenges.check(&"key", &fresh, &verifier), Ok(()));
    }

    #[test]
    fn degenerate_client_values_are_rejected() {
        let verifier = PasswordVerifier::derive_with_salts(b"pw", vec![1; 40], vec![2; 16], None);
        let challenge = verifier.challenge();
        let p_minus_one = (prime() - 1u8).to_bytes_be();
        for a in [
            vec![0u8],
            vec![1u8],
            p_minus_one,
            TELEGRAM_PRIME.to_vec(),
            vec![1u8; 300],
        ] {
            assert!(!challenge.verify(&verifier, &a, &[0u8; 32]));
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let verifier =
            PasswordVerifier::derive_with_salts(b"pw", vec![1; 40], vec![2; 16], Some("h".into()));
        let printed = format!("{verifier:?} {:?}", verifier.challenge());
        assert!(
            !printed.contains("verifier:") && !printed.contains("b:"),
            "{printed}"
        );
    }
}
