//! Exact money amounts.

use std::fmt;

/// A money amount as an exact integer number of millionths ("micros") of the currency unit:
/// `Amount::from_micros(12_340_000)` is 12.34. Sums of amounts are exact; only the final
/// mean is a real number. The currency itself (ISO 4217) travels beside the data, not in
/// each amount.
///
/// Range: ±9.2 × 10¹² currency units per amount or per customer total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i64);

/// An amount that cannot be represented exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// More than six decimal places.
    #[error("more than 6 decimal places")]
    TooPrecise,
    /// Beyond ±9.2 × 10¹² currency units.
    #[error("amount out of range (more than 9.2e12)")]
    Overflow,
}

impl Amount {
    /// Micros per currency unit.
    pub const SCALE: i64 = 1_000_000;

    /// From a whole number of micros.
    pub const fn from_micros(micros: i64) -> Amount {
        Amount(micros)
    }

    /// The number of micros.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// As a real number of currency units (for models and reports, never for storage).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / Self::SCALE as f64
    }

    /// From an integer part, a fractional digit string (at most 6 digits, `""` allowed) and
    /// a sign. The building block the ingest parser uses after it has stripped currency
    /// symbols and thousands separators.
    ///
    /// # Errors
    /// [`AmountError::TooPrecise`] for more than 6 significant fractional digits
    /// (trailing zeros are fine), [`AmountError::Overflow`] beyond the range.
    pub fn from_parts(
        negative: bool,
        int_digits: &str,
        frac_digits: &str,
    ) -> Result<Amount, AmountError> {
        let frac = frac_digits.trim_end_matches('0');
        if frac.len() > 6 {
            return Err(AmountError::TooPrecise);
        }
        let mut v: i64 = 0;
        for b in int_digits.bytes() {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add((b - b'0') as i64))
                .ok_or(AmountError::Overflow)?;
        }
        v = v.checked_mul(Self::SCALE).ok_or(AmountError::Overflow)?;
        let mut f: i64 = 0;
        for b in frac.bytes() {
            f = f * 10 + (b - b'0') as i64;
        }
        f *= 10i64.pow(6 - frac.len() as u32);
        let m = v.checked_add(f).ok_or(AmountError::Overflow)?;
        Ok(Amount(if negative { -m } else { m }))
    }

    /// Checked addition.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// True for amounts below zero (refunds, returns).
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Amount {
    /// Plain decimal with up to 6 fractional digits, no trailing zeros beyond two
    /// (12.5 → "12.50", 0.125 → "0.125").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let int = a / Self::SCALE as u64;
        let mut frac = format!("{:06}", a % Self::SCALE as u64);
        while frac.len() > 2 && frac.ends_with('0') {
            frac.pop();
        }
        write!(f, "{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        assert_eq!(
            Amount::from_parts(false, "12", "34"),
            Ok(Amount(12_340_000))
        );
        assert_eq!(Amount::from_parts(true, "0", "5"), Ok(Amount(-500_000)));
        assert_eq!(Amount::from_parts(false, "7", ""), Ok(Amount(7_000_000)));
        assert_eq!(
            Amount::from_parts(false, "1", "1234560000"),
            Ok(Amount(1_123_456))
        );
        assert_eq!(
            Amount::from_parts(false, "1", "1234567"),
            Err(AmountError::TooPrecise)
        );
        assert_eq!(
            Amount::from_parts(false, "99999999999999", ""),
            Err(AmountError::Overflow)
        );
        assert_eq!(Amount(12_500_000).to_string(), "12.50");
        assert_eq!(Amount(-125_000).to_string(), "-0.125");
    }
}
