//! `comeback loyalty` and `comeback simulate --membership`: a hand-computed fixture, the
//! simulated programme whose true effect is known, and errors naming file, line and column.

use crate::{assert_fails, comeback, stderr};
use serde_json::Value;

fn json_out(dir: &std::path::Path, args: &[&str]) -> Value {
    let o = comeback(dir, args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Four customers observed to 2024-12-31 (retention windows 2023 and 2024):
/// a (member since 2024-03-01): 10 on 2023-05-01, 20 on 2024-04-01 → 15 per visit, retained;
/// b (member, enrolment day unknown): 30 on 2023-06-01 and 2023-07-01 → 30, lost;
/// c (not a member): 5 on 2023-02-01, 15 on 2024-02-01 → 10, retained;
/// d (not a member): 40 on 2024-05-01 → 40, not active in 2023.
/// e is in the members file without a purchase. Members: retention 1/2, spend per visit
/// (15 + 30)/2 = 22.5; non-members: retention 1/1, spend (10 + 40)/2 = 25. With 365-day
/// outcome windows from 2024-03-01 nobody's window is over: no ratio, a censored.
#[test]
fn hand_computed_members_fixture() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tx.csv"),
        "customer,date,amount\na,2023-05-01,10\na,2024-04-01,20\nb,2023-06-01,30\nb,2023-07-01,30\n\
         c,2023-02-01,5\nc,2024-02-01,15\nd,2024-05-01,40\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m.csv"),
        "customer_id,enrolled_at\na,2024-03-01\nb,\ne,2024-01-05\n",
    )
    .unwrap();
    let j = json_out(
        dir.path(),
        &[
            "loyalty",
            "tx.csv",
            "--members",
            "m.csv",
            "--observation-end",
            "2024-12-31",
            "--json",
            "-q",
        ],
    );
    assert_eq!(j["members"]["customers"], 2);
    assert_eq!(j["non_members"]["customers"], 2);
    assert_eq!(j["members"]["retention_12m"]["estimate"], 0.5);
    assert_eq!(j["members"]["retention_12m"]["n"], 2);
    assert_eq!(j["non_members"]["retention_12m"]["estimate"], 1.0);
    assert_eq!(j["non_members"]["retention_12m"]["n"], 1);
    assert_eq!(j["members"]["spend_per_visit"]["estimate"], 22.5);
    assert_eq!(j["non_members"]["spend_per_visit"]["estimate"], 25.0);
    // t interval of {15, 30}: 22.5 ± t(0.975, 1) × 7.5, t = 12.7062.
    let lo = j["members"]["spend_per_visit"]["ci_low"].as_f64().unwrap();
    assert!((lo - (22.5 - 12.706_204_736 * 7.5)).abs() < 1e-6, "{lo}");
    assert_eq!(j["launch"], "2024-03-01");
    assert_eq!(j["counts"]["members_without_purchases"], 1);
    assert_eq!(j["counts"]["members_without_date"], 1);
    assert_eq!(j["counts"]["members_censored"], 1);
    assert_eq!(j["counts"]["non_members_censored"], 1);
    assert_eq!(j["counts"]["non_members_without_reference"], 1);
    assert_eq!(j["matched"], Value::Null);
    assert_eq!(j["assumptions"].as_array().unwrap().len(), 3);
    // Four customers cannot support a model: CLV is null, NPS absent without --responses.
    assert_eq!(j["members"]["clv"], Value::Null);
    assert_eq!(j["members"]["nps"], Value::Null);

    // NPS per group from each customer's latest answer: a 10, b 9 (members: two
    // promoters, NPS 100); c 0 (its older 10 is superseded), d 8 (non-members: a detractor
    // and a passive, NPS −50); z did not buy. Adjusted Wald (Rocks 2016), n' = n + 3:
    // members p' = 2.75/5, d' = 0.75/5 → centre 40, se = 100·√((0.7 − 0.16)/5) = 32.863,
    // low 40 − 1.959964·32.863 = −24.411, high clipped to 100; non-members p' = 0.15,
    // d' = 0.35 → centre −20, se = 100·√((0.5 − 0.04)/5) = 30.332, [−79.449, 39.449].
    std::fs::write(
        dir.path().join("r.csv"),
        "customer_id,date,score\na,2024-06-01,10\nb,2024-06-01,9\nc,2024-01-01,10\nc,2024-07-01,0\n\
         d,2024-07-01,8\nz,2024-07-01,10\nd,2024-07-02,\n",
    )
    .unwrap();
    let args = [
        "loyalty",
        "tx.csv",
        "--members",
        "m.csv",
        "--responses",
        "r.csv",
        "--observation-end",
        "2024-12-31",
        "-q",
    ];
    let j = json_out(dir.path(), &[&args[..], &["--json"]].concat());
    let f = |v: &Value| v.as_f64().unwrap();
    let (m, n) = (&j["members"]["nps"], &j["non_members"]["nps"]);
    assert_eq!((m["n"].as_u64(), m["nps"].as_f64()), (Some(2), Some(100.0)));
    assert_eq!((n["n"].as_u64(), n["nps"].as_f64()), (Some(2), Some(-50.0)));
    assert!((f(&m["nps_adjusted"]) - 40.0).abs() < 1e-9, "{m}");
    assert!((f(&m["ci_low"]) + 24.411).abs() < 1e-3, "{m}");
    assert_eq!(f(&m["ci_high"]), 100.0);
    assert!((f(&n["ci_low"]) + 79.449).abs() < 1e-3, "{n}");
    assert!((f(&n["ci_high"]) - 39.449).abs() < 1e-3, "{n}");
    assert_eq!(m["method"], "adjusted-wald");
    let o = comeback(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(text.contains("100.0 [-24.4, 100.0] n=2"), "{text}");
    assert!(
        stderr(&o).contains("1 of the 5 customers who answered in r.csv have no purchase"),
        "{}",
        stderr(&o)
    );
    std::fs::write(dir.path().join("r.csv"), "customer_id,score\na,10\nb,7.5\n").unwrap();
    assert_fails(
        dir.path(),
        &args,
        "r.csv:3: column \"score\": cannot parse \"7.5\" as a score",
    );

    // The text prints the assumptions and the note on stderr names the missing member.
    let o = comeback(
        dir.path(),
        &["loyalty", "tx.csv", "--members", "m.csv", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(text.contains("selection on observables"), "{text}");
    assert!(text.contains("22.50 [-72.80, 117.80] n=2"), "{text}");
    assert!(stderr(&o).contains("1 of the 3 members in m.csv have no purchase"));
}

/// The simulator's membership process (Pareto/NBD, programme after one year, joining
/// logit −2 + 0.4 k, true effect +30 %) written by `simulate --membership` and read back by
/// `loyalty`: the matched interval covers 0.3, the raw gap is larger and its interval does
/// not (self-selection). The 100-seed coverage check is the library's
/// (crates/comeback-analysis/tests/it/loyalty.rs, same process); this is one seed end to end.
#[test]
fn simulated_programme_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let o = comeback(
        dir.path(),
        &[
            "simulate",
            "--model",
            "pareto-nbd",
            "--params",
            "r=1,alpha=10,s=1,beta=100",
            "--customers",
            "4000",
            "--acquisition-days",
            "365",
            "--observation-days",
            "1095",
            "--start",
            "2020-01-01",
            "--seed",
            "7",
            "--membership",
            "launch_day=365,pre_days=365,intercept=-2,slope=0.4,effect=0.3",
            "--members-output",
            "members.csv",
            "-o",
            "tx.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let members = std::fs::read_to_string(dir.path().join("members.csv")).unwrap();
    assert!(members.starts_with("customer_id,enrolled_at\n"));
    let n_members = members.lines().count() - 1;
    assert!(n_members > 200, "{n_members}");
    // Every enrolment is on or after the launch, 2020-12-31 (day 365 from 2020-01-01).
    assert!(
        members
            .lines()
            .skip(1)
            .all(|l| l.split(',').nth(1).unwrap() >= "2020-12-31")
    );
    let j = json_out(
        dir.path(),
        &[
            "loyalty",
            "tx.csv",
            "--members",
            "members.csv",
            "--launch",
            "2020-12-31",
            "--observation-end",
            "2022-12-30",
            "--json",
            "-q",
        ],
    );
    let m = &j["matched"];
    let r = &j["raw"];
    let f = |v: &Value| v.as_f64().unwrap();
    assert!(
        f(&m["ci_low"]) < 0.3 && 0.3 < f(&m["ci_high"]),
        "matched {m}"
    );
    assert!(f(&r["ci_low"]) > 0.3, "raw {r}");
    assert!(f(&r["effect"]) > f(&m["effect"]));
    // Matching balances the pre-enrolment visits; the raw comparison does not.
    let gap = |x: &Value| (f(&x["member_pre_visits"]) - f(&x["non_member_pre_visits"])).abs();
    assert!(gap(m) < 0.05 * f(&m["member_pre_visits"]), "{m}");
    assert!(gap(r) > 0.5, "{r}");
    assert_eq!(
        f(&j["members"]["customers"]) as usize
            + j["counts"]["members_without_purchases"].as_u64().unwrap() as usize,
        n_members
    );
}

/// CLV per group is the mean of the CLV column `analyze` writes to customers.csv (same
/// flags, same model) over each group's customers, with the t interval over customers.
#[test]
fn clv_per_group_equals_analyze_customers_csv() {
    let dir = tempfile::tempdir().unwrap();
    let o = comeback(
        dir.path(),
        &[
            "simulate",
            "--model",
            "pareto-nbd",
            "--params",
            "r=1,alpha=10,s=1,beta=100",
            "--customers",
            "600",
            "--acquisition-days",
            "365",
            "--observation-days",
            "1095",
            "--start",
            "2020-01-01",
            "--seed",
            "3",
            "--membership",
            "launch_day=365,pre_days=365,intercept=-2,slope=0.4,effect=0.3",
            "--members-output",
            "members.csv",
            "-o",
            "tx.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let j = json_out(
        dir.path(),
        &[
            "loyalty",
            "tx.csv",
            "--members",
            "members.csv",
            "--json",
            "-q",
        ],
    );
    let o = comeback(dir.path(), &["analyze", "tx.csv", "-o", "out", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let members: std::collections::HashSet<String> =
        std::fs::read_to_string(dir.path().join("members.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
    let mut rd = csv::Reader::from_path(dir.path().join("out/customers.csv")).unwrap();
    let h = rd.headers().unwrap().clone();
    let (id, clv) = (
        h.iter().position(|x| x == "customer_id").unwrap(),
        h.iter().position(|x| x == "clv").unwrap(),
    );
    let (mut m, mut n) = (vec![], vec![]);
    for r in rd.records() {
        let r = r.unwrap();
        let v: f64 = r[clv].parse().unwrap();
        if members.contains(&r[id]) {
            m.push(v)
        } else {
            n.push(v)
        }
    }
    for (key, v) in [("members", &m), ("non_members", &n)] {
        let e = &j[key]["clv"];
        let k = v.len() as f64;
        let mean = v.iter().sum::<f64>() / k;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
        assert_eq!(e["n"].as_u64(), Some(v.len() as u64), "{key}");
        assert!(
            (e["estimate"].as_f64().unwrap() - mean).abs() < 1e-9 * mean.max(1.0),
            "{key} {e} {mean}"
        );
        // The t interval's half-width is t·sd/√n, t ≈ 1.96–1.98 at these n.
        let half = (e["ci_high"].as_f64().unwrap() - e["ci_low"].as_f64().unwrap()) / 2.0;
        let t = half / (sd / k.sqrt());
        assert!((1.95..1.99).contains(&t), "{key} t = {t}");
    }
}

#[test]
fn bad_members_files_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tx.csv"),
        "customer,date,amount\na,2023-05-01,10\nb,2024-04-01,20\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("m.csv"),
        "customer_id,enrolled_at\na,2024-03-01\nb,2024-13-01\n",
    )
    .unwrap();
    assert_fails(
        dir.path(),
        &["loyalty", "tx.csv", "--members", "m.csv", "-q"],
        "m.csv:3: column \"enrolled_at\": cannot parse \"2024-13-01\" as a date",
    );
    std::fs::write(dir.path().join("m.csv"), "id,joined\na,2024-03-01\n").unwrap();
    assert_fails(
        dir.path(),
        &["loyalty", "tx.csv", "--members", "m.csv", "-q"],
        "customer_id",
    );
    std::fs::write(
        dir.path().join("m.csv"),
        "customer_id,enrolled_at\na,\nb,\n",
    )
    .unwrap();
    assert_fails(
        dir.path(),
        &["loyalty", "tx.csv", "--members", "m.csv", "-q"],
        "no non-members",
    );
}
