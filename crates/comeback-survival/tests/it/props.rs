//! Properties: S(t) is a survival function; Cox coefficients do not depend on the
//! covariates' origin or on the row order.

use comeback_survival::{CoxOptions, Design, KmOptions, fit_cox, kaplan_meier};
use proptest::prelude::*;

fn subjects() -> impl Strategy<Value = Vec<(u8, bool, i8, bool)>> {
    prop::collection::vec((1u8..30, any::<bool>(), -5i8..6, any::<bool>()), 2..60)
}

proptest! {
    #[test]
    fn km_survival_is_non_increasing_in_unit_interval(s in subjects()) {
        let d: Vec<f64> = s.iter().map(|r| r.0 as f64).collect();
        let e: Vec<bool> = s.iter().map(|r| r.1).collect();
        let km = kaplan_meier(&d, &e, &KmOptions::default()).unwrap();
        let mut last = 1.0;
        for r in &km.rows {
            prop_assert!(r.survival <= last && r.survival >= 0.0);
            prop_assert!(r.ci_low <= r.survival + 1e-12 && r.survival <= r.ci_high + 1e-12);
            prop_assert!(r.ci_low >= 0.0 && r.ci_high <= 1.0);
            last = r.survival;
        }
        prop_assert_eq!(km.rows.iter().map(|r| r.events + r.censored).sum::<u64>(), d.len() as u64);
    }

    #[test]
    fn cox_is_invariant_to_shift_and_row_order(
        s in prop::collection::vec((1u8..40, any::<bool>(), -5i8..6, any::<bool>()), 12..60),
        shift in -50.0f64..50.0,
        rot in 0usize..60,
    ) {
        let d: Vec<f64> = s.iter().map(|r| r.0 as f64).collect();
        let mut e: Vec<bool> = s.iter().map(|r| r.1).collect();
        e[0] = true;
        let a: Vec<f64> = s.iter().map(|r| r.2 as f64).collect();
        let b: Vec<f64> = s.iter().map(|r| if r.3 { 1.0 } else { 0.0 }).collect();
        let fit = |d: &[f64], e: &[bool], a: Vec<f64>, b: Vec<f64>| {
            let mut x = Design::new(d.len());
            x.numeric("a", a).unwrap();
            x.numeric("b", b).unwrap();
            fit_cox(d, e, &x, &CoxOptions::default())
        };
        let Ok(base) = fit(&d, &e, a.clone(), b.clone()) else {
            // Constant or separating covariates: an error, never a panic.
            return Ok(());
        };
        let shifted = fit(&d, &e, a.iter().map(|v| v + shift).collect(), b.iter().map(|v| v - shift).collect()).unwrap();
        let n = d.len();
        let k = rot % n;
        let rotate = |v: &[f64]| -> Vec<f64> { v[k..].iter().chain(&v[..k]).copied().collect() };
        let er: Vec<bool> = e[k..].iter().chain(&e[..k]).copied().collect();
        let rotated = fit(&rotate(&d), &er, rotate(&a), rotate(&b)).unwrap();
        for j in 0..2 {
            let tol = 1e-7 * base.coefficients[j].abs().max(1.0);
            prop_assert!((shifted.coefficients[j] - base.coefficients[j]).abs() <= tol);
            prop_assert!(
                (rotated.coefficients[j] - base.coefficients[j]).abs() <= tol,
                "coefficient {j}: rotated {} vs base {}",
                rotated.coefficients[j],
                base.coefficients[j]
            );
            prop_assert!((rotated.std_errors[j] - base.std_errors[j]).abs() <= 1e-7 * base.std_errors[j]);
        }
        prop_assert!((shifted.log_likelihood - base.log_likelihood).abs() <= 1e-8 * base.log_likelihood.abs().max(1.0));
        prop_assert_eq!(rotated.concordance, base.concordance);
    }
}
