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
