//! API keys: the accepted format, fresh random keys, and the fingerprint that stands in for a key
//! wherever one would otherwise be logged or journaled.

use sha2::{Digest, Sha256};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const PREFIXES: [&str; 2] = ["dlg_live_", "dlg_test_"];
const MAX_SUFFIX_LEN: usize = 128;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Whether `key` is `dlg_live_` or `dlg_test_` followed by 1–128 ASCII letters and digits.
pub(crate) fn is_well_formed(key: &str) -> bool {
    PREFIXES
        .iter()
        .find_map(|prefix| key.strip_prefix(prefix))
        .is_some_and(|rest| {
            !rest.is_empty()
                && rest.len() <= MAX_SUFFIX_LEN
                && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// The first 12 hex characters of the key's SHA-256: enough to tell keys apart, useless to an attacker.
pub(crate) fn fingerprint(key: &str) -> String {
    fingerprint_bytes(key.as_bytes())
}

/// [`fingerprint`] of a key as sent, which may not be text.
pub(crate) fn fingerprint_bytes(key: &[u8]) -> String {
    let digest = Sha256::digest(key);
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh `dlg_test_` key with 24 random letters and digits.
pub(crate) fn generate() -> String {
    let mut key = String::with_capacity(PREFIXES[1].len() + 24);
    key.push_str(PREFIXES[1]);
    for _ in 0..24 {
        key.push(ALPHABET[(random_u64() % ALPHABET.len() as u64) as usize] as char);
    }
    key
}

/// Randomness from std alone: `RandomState` is seeded from the OS; the counter and clock make every
/// call distinct. Good enough for test keys, which only need to be unique, not secret.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    hasher.write_u128(nanos);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_and_test_keys_with_alphanumeric_suffix_are_well_formed() {
        assert!(is_well_formed("dlg_live_abc123def456ghi789"));
        assert!(is_well_formed("dlg_test_X"));
    }

    #[test]
    fn other_shapes_are_malformed() {
        for key in [
            "",
            "dlg_test_",
            "dlg_prod_abc",
            "dlg_test_abc-def",
            "abc",
            "dlg_test_ab c",
        ] {
            assert!(!is_well_formed(key), "{key:?}");
        }
        assert!(!is_well_formed(&format!("dlg_test_{}", "a".repeat(129))));
    }

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = generate();
        let b = generate();
        assert!(is_well_formed(&a));
        assert_eq!(a.len(), "dlg_test_".len() + 24);
        assert_ne!(a, b);
    }

    #[test]
    fn fingerprint_is_twelve_hex_chars_and_not_the_key() {
        let fp = fingerprint("dlg_test_abc");
        assert_eq!(fp.len(), 12);
        assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(fp, fingerprint("dlg_test_abc"));
        assert_ne!(fp, fingerprint("dlg_test_abd"));
    }
}
