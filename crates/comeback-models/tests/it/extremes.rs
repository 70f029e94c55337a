//! BG/NBD and MBG/NBD at extreme inputs against 50-digit mpmath values
//! (`data/reference/mpmath/bgnbd_extremes.py` and the `.json` it printed): x and T up to 10⁴,
//! recency 0 and = T, T = 0, tiny a and b, a = 1 exactly, r ≫ a + b. Tolerance 1e-8 relative.

use crate::common::*;
use comeback_models::bgnbd::{BgNbd, MbgNbd};
use comeback_models::fit::Rfm;
use comeback_models::transaction::TransactionModel;
use serde_json::Value;

fn parse(v: &Value, key: &str) -> f64 {
    v[key].as_str().unwrap().parse().unwrap()
}

#[track_caller]
fn close(got: f64, want: f64, what: &str) {
    assert!(got.is_finite(), "{what}: not finite ({got})");
    if want.abs() < 1e-300 {
        assert!(got.abs() < 1e-290, "{what}: got {got}, want {want}");
        return;
    }
    let err = (got - want).abs() / want.abs();
    assert!(
        err <= 1e-8,
        "{what}: got {got:e}, want {want:e} (rel {err:.2e})"
    );
}

#[test]
fn bgnbd_family_matches_mpmath() {
    let text = std::fs::read_to_string(data_path("reference/mpmath/bgnbd_extremes.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 150);
    for case in cases {
        let p: Vec<f64> = case["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let m: Box<dyn TransactionModel> = match case["model"].as_str().unwrap() {
            "bgnbd" => Box::new(BgNbd::from_params(&p).unwrap()),
            _ => Box::new(MbgNbd::from_params(&p).unwrap()),
        };
        let (x, tx, t_cap, t) = (
            case["x"].as_f64().unwrap(),
            case["t_x"].as_f64().unwrap(),
            case["T"].as_f64().unwrap(),
            case["t"].as_f64().unwrap(),
        );
        let c = Rfm::new(x, tx, t_cap).unwrap();
        let what = format!(
            "{} {} x={x} tx={tx} T={t_cap} t={t}",
            case["model"], case["params_name"]
        );
        // ln L is a log: relative 1e-8 with a floor of 1 (mpmath gives ±1e-51 for ln 1).
        let (got, want) = (m.log_likelihood(&c), parse(case, "ln_l"));
        assert!(
            (got - want).abs() <= 1e-8 * want.abs().max(1.0),
            "{what} ln L: got {got}, want {want}"
        );
        close(
            m.p_alive(&c),
            parse(case, "p_alive"),
            &format!("{what} P(alive)"),
        );
        close(
            m.conditional_expected_purchases(&c, t),
            parse(case, "cond_exp"),
            &format!("{what} E[Y(t)]"),
        );
        close(
            m.expected_purchases(t),
            parse(case, "uncond_exp"),
            &format!("{what} E[X(t)]"),
        );
    }
}
