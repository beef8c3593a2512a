//! The verified-token cache: skips signature verification (tens of µs) and introspection
//! round trips for tokens seen recently.
//!
//! Keyed by the SHA-256 of the whole token; the token itself is never stored. Every entry
//! carries the window in which it may be used (never beyond the token's `exp` plus leeway,
//! which [`super::TokenValidator`] fixes) and the key-set generation it was verified
//! against, so a JWKS refresh voids older entries. Size is bounded: when full, expired
//! entries go first, then the ones that would expire soonest. This module decides nothing
//! about tokens itself; the validator calls it before and after verifying.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dashmap::DashMap;
use sha2::{Digest, Sha256};

use super::Claims;

/// Default bound on the number of cached tokens.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// SHA-256 of a token.
pub(crate) type Fingerprint = [u8; 32];

pub(crate) fn fingerprint(token: &str) -> Fingerprint {
    Sha256::digest(token.as_bytes()).into()
}

/// What was learned about a token.
#[derive(Debug, Clone)]
pub(crate) enum Verdict {
    Valid(Arc<Claims>),
    /// The introspection endpoint answered `active: false` (introspection mode only).
    Inactive,
}

#[derive(Debug)]
struct Entry {
    verdict: Verdict,
    /// First second (inclusive) the entry may be used.
    valid_from: i64,
    /// First second the entry may no longer be used.
    valid_until: i64,
    generation: u64,
}

impl Entry {
    fn usable(&self, now: i64, generation: u64) -> bool {
        self.generation == generation && self.valid_from <= now && now < self.valid_until
    }
}

#[derive(Debug)]
pub(crate) struct TokenCache {
    map: DashMap<Fingerprint, Entry>,
    capacity: usize,
    evicting: AtomicBool,
}

impl TokenCache {
    pub fn new(capacity: usize) -> Self {
        TokenCache {
            map: DashMap::new(),
            capacity: capacity.max(1),
            evicting: AtomicBool::new(false),
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// The cached verdict for a token at `now`, if one is usable; a stale entry is removed.
    pub fn get(&self, fp: &Fingerprint, now: i64, generation: u64) -> Option<Verdict> {
        {
            let entry = self.map.get(fp)?;
            if entry.usable(now, generation) {
                return Some(entry.verdict.clone());
            }
        }
        self.map.remove_if(fp, |_, e| !e.usable(now, generation));
        None
    }

    /// Remembers a verdict for `valid_from <= t < valid_until`. Entries that would already
    /// be unusable are not stored.
    pub fn insert(
        &self,
        fp: Fingerprint,
        verdict: Verdict,
        valid_from: i64,
        valid_until: i64,
        generation: u64,
        now: i64,
    ) {
        if valid_until <= now {
            return;
        }
        if self.map.len() >= self.capacity && !self.make_room(now) {
            return;
        }
        self.map.insert(
            fp,
            Entry {
                verdict,
                valid_from,
                valid_until,
                generation,
            },
        );
    }

    /// Frees space: expired entries first, then the eighth that expires soonest. Returns
    /// false when another caller is already evicting (the new entry is then just not cached).
    fn make_room(&self, now: i64) -> bool {
        if self.evicting.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.map.retain(|_, e| now < e.valid_until);
        if self.map.len() >= self.capacity {
            let mut expiries: Vec<i64> = self.map.iter().map(|e| e.valid_until).collect();
            if !expiries.is_empty() {
                let cut = (self.capacity / 8).clamp(1, expiries.len()) - 1;
                let threshold = *expiries.select_nth_unstable(cut).1;
                self.map.retain(|_, e| e.valid_until > threshold);
            }
        }
        self.evicting.store(false, Ordering::Release);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(client: &str) -> Verdict {
        Verdict::Valid(Arc::new(Claims {
            client_id: client.to_owned(),
            scope: "za~1".to_owned(),
            sub: None,
            exp: 2_000,
        }))
    }

    fn client_of(v: Option<Verdict>) -> Option<String> {
        match v {
            Some(Verdict::Valid(c)) => Some(c.client_id.clone()),
            _ => None,
        }
    }

    #[test]
    fn the_fingerprint_is_the_sha256_of_the_token() {
        assert_eq!(
            hex::encode(fingerprint("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn returns_a_stored_verdict_inside_its_window() {
        let cache = TokenCache::new(10);
        cache.insert(fingerprint("t"), valid("a"), 100, 200, 1, 100);
        assert_eq!(
            client_of(cache.get(&fingerprint("t"), 199, 1)),
            Some("a".to_owned())
        );
    }

    #[test]
    fn forgets_an_entry_at_its_valid_until() {
        let cache = TokenCache::new(10);
        cache.insert(fingerprint("t"), valid("a"), 100, 200, 1, 100);
        assert!(cache.get(&fingerprint("t"), 200, 1).is_none());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn ignores_an_entry_before_its_valid_from() {
        let cache = TokenCache::new(10);
        cache.insert(fingerprint("t"), valid("a"), 150, 200, 1, 100);
        assert!(cache.get(&fingerprint("t"), 149, 1).is_none());
    }

    #[test]
    fn ignores_an_entry_from_another_key_generation() {
        let cache = TokenCache::new(10);
        cache.insert(fingerprint("t"), valid("a"), 100, 200, 1, 100);
        assert!(cache.get(&fingerprint("t"), 150, 2).is_none());
    }

    #[test]
    fn does_not_store_an_entry_that_is_already_over() {
        let cache = TokenCache::new(10);
        cache.insert(fingerprint("t"), valid("a"), 0, 100, 1, 100);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn evicts_expired_entries_first_when_full() {
        let cache = TokenCache::new(2);
        cache.insert(fingerprint("old"), valid("old"), 0, 110, 1, 100);
        cache.insert(fingerprint("live"), valid("live"), 0, 500, 1, 100);
        cache.insert(fingerprint("new"), valid("new"), 0, 500, 1, 120);
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&fingerprint("old"), 120, 1).is_none());
        assert_eq!(
            client_of(cache.get(&fingerprint("live"), 120, 1)),
            Some("live".to_owned())
        );
    }

    #[test]
    fn evicts_the_soonest_expiring_entries_when_full_of_live_ones() {
        let cache = TokenCache::new(16);
        for i in 0..16 {
            cache.insert(
                fingerprint(&i.to_string()),
                valid("x"),
                0,
                1_000 + i,
                1,
                100,
            );
        }
        cache.insert(fingerprint("new"), valid("new"), 0, 5_000, 1, 100);
        assert_eq!(cache.len(), 15);
        assert!(cache.get(&fingerprint("0"), 100, 1).is_none());
        assert!(cache.get(&fingerprint("1"), 100, 1).is_none());
        assert!(cache.get(&fingerprint("2"), 100, 1).is_some());
        assert_eq!(
            client_of(cache.get(&fingerprint("new"), 100, 1)),
            Some("new".to_owned())
        );
    }
}
