//! Login throttling: an in-memory token bucket per key (client address, account e-mail).
//!
//! Token bucket (Turner 1986; RFC 2697 uses the same meter): a bucket holds at most
//! `burst` tokens and refills continuously at `burst / period`; an attempt takes one token
//! and is refused when less than one is left, with the wait until one is back. This slows
//! password guessing from one address or against one account; the store's
//! [`comeback_store::LockoutPolicy`] locks an account after consecutive failures on top of
//! it. State lives in this process only (one server process per database is the supported
//! deployment).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Buckets kept before idle (full) ones are dropped.
const PRUNE_AT: usize = 10_000;

/// The rate of one kind of key: `burst` attempts at once, refilled over `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Bucket size (attempts allowed at once; at least 1).
    pub burst: u32,
    /// Time to refill a whole bucket.
    pub period: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Keyed token buckets. Cheap to clone (shared inside).
#[derive(Debug, Clone)]
pub struct Throttle {
    rate: Rate,
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

impl Throttle {
    /// Empty buckets at `rate` (`burst` is raised to 1, a zero `period` to 1 ms).
    pub fn new(rate: Rate) -> Throttle {
        Throttle {
            rate: Rate {
                burst: rate.burst.max(1),
                period: rate.period.max(Duration::from_millis(1)),
            },
            buckets: Arc::default(),
        }
    }

    /// Takes one token of `key` at `now`: `Ok(())`, or `Err(wait)` until one is back.
    ///
    /// # Errors
    /// The time to wait, when the bucket is empty.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.rate.burst);
        let per_token = self.rate.period.as_secs_f64() / burst;
        // A poisoned lock only means another thread panicked mid-update; the map is
        // still a valid map.
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= PRUNE_AT {
            map.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() / per_token < burst
            });
        }
        let b = map.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let refilled =
            (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() / per_token).min(burst);
        b.at = now.max(b.at);
        if refilled >= 1.0 {
            b.tokens = refilled - 1.0;
            Ok(())
        } else {
            b.tokens = refilled;
            Err(Duration::from_secs_f64((1.0 - refilled) * per_token))
        }
    }

    /// The number of keys held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rate(burst: u32, secs: u64) -> Rate {
        Rate {
            burst,
            period: Duration::from_secs(secs),
        }
    }

    #[test]
    fn burst_then_refill() {
        let t = Throttle::new(rate(3, 60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(t.check("ip:1", t0), Ok(()));
        }
        // Empty: one token comes back every 20 s.
        assert_eq!(t.check("ip:1", t0), Err(Duration::from_secs(20)));
        // Other keys are independent.
        assert_eq!(t.check("ip:2", t0), Ok(()));
        assert_eq!(
            t.check("ip:1", t0 + Duration::from_secs(5)),
            Err(Duration::from_secs(15))
        );
        assert_eq!(t.check("ip:1", t0 + Duration::from_secs(20)), Ok(()));
        assert!(t.check("ip:1", t0 + Duration::from_secs(20)).is_err());
        // A long pause refills to the burst, not beyond.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(t.check("ip:1", later), Ok(()));
        }
        assert!(t.check("ip:1", later).is_err());
    }

    #[test]
    fn prunes_full_buckets() {
        let t = Throttle::new(rate(2, 1));
        let t0 = Instant::now();
        for i in 0..PRUNE_AT {
            t.check(&format!("k{i}"), t0).unwrap();
        }
        assert_eq!(t.len(), PRUNE_AT);
        t.check("new", t0 + Duration::from_secs(10)).unwrap();
        assert_eq!(t.len(), 1);
    }

    proptest! {
        /// Over any schedule of attempts, at most burst + elapsed·burst/period succeed.
        #[test]
        fn never_more_than_the_rate(
            burst in 1u32..10,
            period_ms in 1u64..10_000,
            gaps in proptest::collection::vec(0u64..2_000, 1..200),
        ) {
            let t = Throttle::new(Rate { burst, period: Duration::from_millis(period_ms) });
            let t0 = Instant::now();
            let mut now = t0;
            let mut ok = 0u64;
            for g in gaps {
                now += Duration::from_millis(g);
                if t.check("k", now).is_ok() {
                    ok += 1;
                }
            }
            let elapsed = now.duration_since(t0).as_secs_f64();
            let bound = f64::from(burst) + elapsed * f64::from(burst) / (period_ms as f64 / 1000.0);
            prop_assert!(ok as f64 <= bound + 1e-9, "{ok} > {bound}");
        }

        /// A refused attempt names a wait after which the next attempt succeeds.
        #[test]
        fn wait_is_enough(burst in 1u32..5, period_ms in 10u64..10_000) {
            let t = Throttle::new(Rate { burst, period: Duration::from_millis(period_ms) });
            let t0 = Instant::now();
            for _ in 0..burst {
                prop_assert!(t.check("k", t0).is_ok());
            }
            let wait = t.check("k", t0).unwrap_err();
            prop_assert!(wait > Duration::ZERO);
            prop_assert!(t.check("k", t0 + wait + Duration::from_micros(1)).is_ok());
        }
    }
}
