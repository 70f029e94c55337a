//! The public side of complaints (issue 9): settings and shared state of the public
//! complaint page (`/complain`) and the customer's status page (`/complaint-status/...`),
//! and the signed customer links that let a complaint filed there name a stored customer.
//!
//! **Signed customer link.** A business that wants complaints tied to the customer (a link
//! in a receipt or an e-mail) asks `POST /api/v1/complaints/links` for a token and sends
//! `/complain?t=TOKEN`. The token is `HEX(customer id).EXPIRY.HEX(MAC)` with EXPIRY in Unix
//! seconds and MAC = HMAC-SHA256 (RFC 2104) under the server's link key over
//! `"complaint-link.v1." + HEX(customer id) + "." + EXPIRY`; it proves the server issued it
//! for that customer and is refused after EXPIRY. Without a valid token the complaint is
//! filed for an unidentified person with the contact they give
//! ([`comeback_store::Store::create_unidentified_complaint`]).
//!
//! **Rate limits.** Filing and status look-ups are token buckets per client address
//! ([`crate::auth::throttle::Throttle`]), in this process only.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};

use crate::auth::throttle::{Rate, Throttle};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Shortest accepted link secret (bytes).
pub const MIN_SECRET_BYTES: usize = 32;

/// Default of `--public-complaints-per-hour`.
const DEFAULT_PER_HOUR: u32 = 10;
/// Default of `--complaint-status-lookups-per-minute`.
const DEFAULT_LOOKUPS_PER_MINUTE: u32 = 30;
/// Default of `--complaint-breach-check-ms`.
const DEFAULT_BREACH_CHECK_MS: u64 = 60_000;

/// Settings of the public complaint pages. Every flag also reads its environment variable.
#[derive(Clone, PartialEq, Eq, clap::Args)]
pub struct ComplaintSettings {
    /// Key of the signed customer links of the public complaint page (at least 32 bytes).
    /// Unset: a random key per server start, so links issued before a restart stop
    /// working.
    #[arg(long = "complaint-link-secret", env = "COMEBACK_COMPLAINT_LINK_SECRET")]
    pub link_secret: Option<String>,
    /// Complaints accepted per client address and hour on the public page (a burst of this
    /// many, refilled evenly over the hour).
    #[arg(
        long = "public-complaints-per-hour",
        env = "COMEBACK_PUBLIC_COMPLAINTS_PER_HOUR",
        default_value_t = DEFAULT_PER_HOUR,
        value_parser = clap::value_parser!(u32).range(1..=100_000)
    )]
    pub per_hour: u32,
    /// Status-page look-ups per client address and minute (slows guessing references).
    #[arg(
        long = "complaint-status-lookups-per-minute",
        env = "COMEBACK_COMPLAINT_STATUS_LOOKUPS_PER_MINUTE",
        default_value_t = DEFAULT_LOOKUPS_PER_MINUTE,
        value_parser = clap::value_parser!(u32).range(1..=100_000)
    )]
    pub lookups_per_minute: u32,
    /// How often open complaints are checked for passed deadlines (milliseconds); each
    /// breach fires the `complaint.breached` webhook once.
    #[arg(
        long = "complaint-breach-check-ms",
        env = "COMEBACK_COMPLAINT_BREACH_CHECK_MS",
        default_value_t = DEFAULT_BREACH_CHECK_MS,
        value_parser = clap::value_parser!(u64).range(10..=86_400_000)
    )]
    pub breach_check_ms: u64,
}

impl std::fmt::Debug for ComplaintSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComplaintSettings")
            .field(
                "link_secret",
                &self.link_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("per_hour", &self.per_hour)
            .field("lookups_per_minute", &self.lookups_per_minute)
            .field("breach_check_ms", &self.breach_check_ms)
            .finish()
    }
}

impl Default for ComplaintSettings {
    /// The flags' defaults (a random link key per start).
    fn default() -> Self {
        ComplaintSettings {
            link_secret: None,
            per_hour: DEFAULT_PER_HOUR,
            lookups_per_minute: DEFAULT_LOOKUPS_PER_MINUTE,
            breach_check_ms: DEFAULT_BREACH_CHECK_MS,
        }
    }
}

/// The shared state of the public pages: the link key and the two throttles. Cheap to
/// clone.
#[derive(Clone)]
pub struct PublicComplaints {
    key: Arc<Vec<u8>>,
    /// Complaints filed per client address.
    pub filing: Throttle,
    /// Status look-ups per client address.
    pub lookups: Throttle,
}

impl std::fmt::Debug for PublicComplaints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicComplaints")
            .field("key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Why a customer link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not of the form `HEX.EXPIRY.HEX`.
    #[error("malformed complaint link")]
    Malformed,
    /// The MAC does not match (not issued by this server, or altered).
    #[error("complaint link signature does not match")]
    Signature,
    /// Past its expiry.
    #[error("complaint link expired")]
    Expired,
}

impl PublicComplaints {
    /// The state for `settings`. A secret shorter than [`MIN_SECRET_BYTES`] is refused.
    ///
    /// # Errors
    /// A message naming the setting when the secret is too short.
    pub fn new(settings: &ComplaintSettings) -> Result<PublicComplaints, String> {
        let key = match &settings.link_secret {
            Some(s) if s.len() < MIN_SECRET_BYTES => {
                return Err(format!(
                    "--complaint-link-secret is {} bytes, at least {MIN_SECRET_BYTES} needed",
                    s.len()
                ));
            }
            Some(s) => s.as_bytes().to_vec(),
            None => {
                let mut buf = vec![0u8; 32];
                getrandom::fill(&mut buf).map_err(|e| format!("no random link key: {e}"))?;
                buf
            }
        };
        Ok(PublicComplaints {
            key: Arc::new(key),
            filing: Throttle::new(Rate {
                burst: settings.per_hour,
                period: Duration::from_secs(3600),
            }),
            lookups: Throttle::new(Rate {
                burst: settings.lookups_per_minute,
                period: Duration::from_secs(60),
            }),
        })
    }

    fn mac(&self, hex_id: &str, expiry: i64) -> HmacSha256 {
        // HMAC accepts keys of any length.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("complaint-link.v1.{hex_id}.{expiry}").as_bytes());
        mac
    }

    /// The token of a link for `customer` (external id) valid until `expires`.
    pub fn sign(&self, customer: &str, expires: DateTime<Utc>) -> String {
        let hex_id = hex(customer.as_bytes());
        let expiry = expires.timestamp();
        let tag = self.mac(&hex_id, expiry).finalize().into_bytes();
        format!("{hex_id}.{expiry}.{}", hex(&tag))
    }

    /// The customer external id of a token issued by [`sign`](Self::sign), checked at
    /// `now` (the MAC is compared in constant time).
    ///
    /// # Errors
    /// [`LinkError`].
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<String, LinkError> {
        let mut parts = token.split('.');
        let (Some(hex_id), Some(expiry), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Malformed);
        };
        let id_bytes = unhex(hex_id).ok_or(LinkError::Malformed)?;
        let tag = unhex(tag).ok_or(LinkError::Malformed)?;
        if expiry.is_empty() || expiry.len() > 12 || !expiry.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LinkError::Malformed);
        }
        let expiry: i64 = expiry.parse().map_err(|_| LinkError::Malformed)?;
        self.mac(hex_id, expiry)
            .verify_slice(&tag)
            .map_err(|_| LinkError::Signature)?;
        if now.timestamp() > expiry {
            return Err(LinkError::Expired);
        }
        String::from_utf8(id_bytes).map_err(|_| LinkError::Malformed)
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.len().is_multiple_of(2) || s.len() > 2000 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A fresh public reference: `CB-` and 8 characters of an alphabet without look-alikes
/// (`23456789ABCDEFGHJKLMNPQRSTUVWXYZ`, 40 random bits), so references cannot be
/// enumerated.
pub fn new_reference() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut buf = [0u8; 8];
    if getrandom::fill(&mut buf).is_err() {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        buf.copy_from_slice(&nanos.to_le_bytes());
    }
    let mut s = String::from("CB-");
    for b in buf {
        s.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> PublicComplaints {
        PublicComplaints::new(&ComplaintSettings {
            link_secret: Some("k".repeat(32)),
            ..ComplaintSettings::default()
        })
        .unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn link_round_trip_and_refusals() {
        let p = state();
        let exp = at("2026-04-01T00:00:00Z");
        let t = p.sign("c-42 ü", exp);
        // HEX("c-42 ü") . 1775001600 . 64 hex digits.
        assert!(t.starts_with("632d343220c3bc.1775001600."), "{t}");
        assert_eq!(t.len(), "632d343220c3bc.1775001600.".len() + 64);
        assert_eq!(p.verify(&t, at("2026-03-01T00:00:00Z")).unwrap(), "c-42 ü");
        // The expiry second itself is still valid, the next one is not.
        assert!(p.verify(&t, exp).is_ok());
        assert_eq!(
            p.verify(&t, at("2026-04-01T00:00:01Z")),
            Err(LinkError::Expired)
        );
        // Another customer or a later expiry with the same MAC: refused.
        let tag = t.rsplit('.').next().unwrap();
        let forged = format!("632d3433.1775001600.{tag}");
        assert_eq!(p.verify(&forged, exp), Err(LinkError::Signature));
        let later = format!("632d343220c3bc.1775001601.{tag}");
        assert_eq!(p.verify(&later, exp), Err(LinkError::Signature));
        // Another server's key.
        let other = PublicComplaints::new(&ComplaintSettings {
            link_secret: Some("x".repeat(40)),
            ..ComplaintSettings::default()
        })
        .unwrap();
        assert_eq!(other.verify(&t, exp), Err(LinkError::Signature));
        for bad in [
            "",
            "a.b",
            "zz.1.00",
            "61.1.0",
            "61..00",
            "61.1.00.00",
            "61.-1.00",
        ] {
            assert_eq!(p.verify(bad, exp), Err(LinkError::Malformed), "{bad}");
        }
    }

    #[test]
    fn short_secret_refused_and_debug_redacts() {
        let e = PublicComplaints::new(&ComplaintSettings {
            link_secret: Some("short".into()),
            ..ComplaintSettings::default()
        })
        .unwrap_err();
        assert!(e.contains("5 bytes"), "{e}");
        let s = ComplaintSettings {
            link_secret: Some("s3cr3t".repeat(10)),
            ..ComplaintSettings::default()
        };
        assert!(!format!("{s:?}").contains("s3cr3t"));
        assert!(!format!("{:?}", state()).contains("kkkk"));
    }

    #[test]
    fn references_have_the_documented_shape() {
        let a = new_reference();
        assert_eq!(a.len(), 11);
        assert!(a.starts_with("CB-"));
        assert!(
            a[3..]
                .bytes()
                .all(|b| b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ".contains(&b))
        );
        assert!(comeback_complaints::recovery::Reference::parse(&a).is_ok());
        assert_ne!(a, new_reference());
    }
}
