//! `/retention` with survey answers: the advocates, the NPS of loyalty members vs the
//! others, and the Cox model of time to lost equal the libraries called directly on the
//! same stored data (CDNOW sample); the no-survey case; the Finnish page.

use comeback_analysis::advocates::advocate_share;
use comeback_analysis::loyalty::{Extras, LoyaltyOptions, Member, compare_members};
use comeback_report::{Lang, format as fmt};
use comeback_survival::{CoxOptions, Design, LostRule, fit_cox, time_to_lost};
use serde_json::json;

use crate::dashboard::{load_sample, page};
use crate::helpers::{TestApp, server_test};

/// The text of the element whose opening tag holds `attr` (e.g. `data-adv="share"`).
fn inner(html: &str, attr: &str) -> String {
    let start = html
        .find(attr)
        .unwrap_or_else(|| panic!("{attr} not in page"));
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find("</").unwrap();
    rest[open..open + close].to_owned()
}

/// The Cox fit on the stored log, built here as the page documents it: first purchase
/// value per 100, then (when given) the first location, membership, the latest NPS class
/// and "has a complaint".
fn direct_cox(
    log: &comeback_core::TransactionLog,
    locations: &[(&str, &str)],
    members: &[&str],
    nps: &[(&str, u8)],
    complained: &[&str],
) -> Result<comeback_survival::CoxModel, comeback_survival::SurvivalError> {
    let lost = time_to_lost(log, &LostRule::default()).unwrap();
    let r = &lost.records;
    let mut x = Design::new(r.len());
    let first: Vec<f64> = r
        .iter()
        .map(|r| {
            let i = log
                .ids()
                .iter()
                .position(|x| **x == *r.customer_id)
                .unwrap();
            let d = log.customers()[i]
                .days
                .iter()
                .find(|d| d.has_purchase)
                .unwrap();
            d.amount.to_f64() / 100.0
        })
        .collect();
    x.numeric("first_value", first).unwrap();
    if !locations.is_empty() {
        let l: Vec<&str> = r
            .iter()
            .map(|r| {
                locations
                    .iter()
                    .find(|(c, _)| *c == &*r.customer_id)
                    .map_or("unknown", |x| x.1)
            })
            .collect();
        x.categorical("location", &l).unwrap();
    }
    if !members.is_empty() {
        let m = r
            .iter()
            .map(|r| f64::from(u8::from(members.contains(&&*r.customer_id))))
            .collect();
        x.numeric("member", m).unwrap();
    }
    if !nps.is_empty() {
        let c: Vec<&str> = r
            .iter()
            .map(|r| match nps.iter().find(|(c, _)| *c == &*r.customer_id) {
                None => "none",
                Some((_, 9..=10)) => "promoter",
                Some((_, 7..=8)) => "passive",
                Some(_) => "detractor",
            })
            .collect();
        x.categorical("nps", &c).unwrap();
    }
    if !complained.is_empty() {
        let c = r
            .iter()
            .map(|r| f64::from(u8::from(complained.contains(&&*r.customer_id))))
            .collect();
        x.numeric("complained", c).unwrap();
    }
    let d: Vec<f64> = r.iter().map(|r| r.duration_days).collect();
    let e: Vec<bool> = r.iter().map(|r| r.lost).collect();
    fit_cox(&d, &e, &x, &CoxOptions::default())
}

/// Every Cox row on the page is the direct fit's (3 decimals), or the page shows the
/// direct fit's error.
fn check_cox(
    html: &str,
    want: &Result<comeback_survival::CoxModel, comeback_survival::SurvivalError>,
) {
    match want {
        Ok(m) => {
            assert!(!m.names.is_empty());
            for (j, name) in m.names.iter().enumerate() {
                let row = {
                    let start = html
                        .find(&format!("data-cox=\"{name}\""))
                        .unwrap_or_else(|| panic!("{name} not on the page"));
                    let rest = &html[start..];
                    rest[..rest.find("</tr>").unwrap()].to_owned()
                };
                for v in [m.coefficients[j], m.hazard_ratios[j]] {
                    let t = fmt::number(v, 3, Lang::En);
                    assert!(
                        row.contains(&format!(">{t}</td>")),
                        "{name}: {row} lacks {t}"
                    );
                }
                let ci = format!(
                    "{} – {}",
                    fmt::number(m.ci_low[j], 3, Lang::En),
                    fmt::number(m.ci_high[j], 3, Lang::En)
                );
                assert!(row.contains(&ci), "{name}: {row} lacks {ci}");
            }
            assert_eq!(
                html.matches("data-cox=\"").count(),
                m.names.len(),
                "one row per coefficient"
            );
            assert_eq!(
                inner(html, "data-cox-fact=\"concordance\""),
                fmt::number(m.concordance.unwrap(), 3, Lang::En)
            );
            let p = m.lr_p_value;
            let p = if p < 0.001 {
                "< 0.001".to_owned()
            } else {
                format!("= {}", fmt::number(p, 3, Lang::En))
            };
            assert_eq!(
                inner(html, "data-cox-fact=\"lr_test\"").replace("&lt;", "<"),
                format!(
                    "chi-square {} with {} degrees of freedom, p {p}",
                    fmt::number(m.lr_statistic, 2, Lang::En),
                    m.lr_df
                )
            );
            assert_eq!(
                inner(html, "data-cox-fact=\"lost\""),
                fmt::count(m.events as u64, Lang::En)
            );
            assert_eq!(
                m.ph_test.warning.is_some(),
                html.contains("Caution: the effect of")
            );
        }
        Err(e) => {
            let shown = inner(html, "id=\"cox-error\"").replace("&quot;", "\"");
            assert_eq!(shown, format!("No model: {e}"));
        }
    }
}

/// `GET /api/v1/survival/cox` gives the same model as the page: the direct fit's
/// coefficients, standard errors, intervals, n, events and concordance by name (the same
/// computation, compared to 1e-12 relative), or a 409 with the fit's error.
async fn check_cox_api(
    app: &TestApp,
    admin: &str,
    want: &Result<comeback_survival::CoxModel, comeback_survival::SurvivalError>,
) {
    let (s, v) = app.get("/api/v1/survival/cox", Some(admin)).await;
    let m = match want {
        Err(e) => {
            assert_eq!(s, 409, "{v}");
            assert_eq!(v["error"]["message"], e.to_string(), "{v}");
            return;
        }
        Ok(m) => m,
    };
    assert_eq!(s, 200, "{v}");
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
    for (key, values) in [
        ("coefficients", &m.coefficients),
        ("std_errors", &m.std_errors),
        ("hazard_ratios", &m.hazard_ratios),
        ("ci_low", &m.ci_low),
        ("ci_high", &m.ci_high),
        ("p_values", &m.p_values),
    ] {
        let got = v[key].as_object().unwrap();
        assert_eq!(got.len(), m.names.len(), "{key}: {v}");
        for (name, want) in m.names.iter().zip(values) {
            let g = got[name].as_f64().unwrap();
            assert!(close(g, *want), "{key}[{name}]: {g} vs {want}");
        }
    }
    assert_eq!(v["n"], m.n);
    assert_eq!(v["events"], m.events);
    assert_eq!(v["ties"], "efron");
    assert!(close(
        v["log_likelihood"].as_f64().unwrap(),
        m.log_likelihood
    ));
    assert!(close(
        v["lr_test"]["p_value"].as_f64().unwrap(),
        m.lr_p_value
    ));
    assert!(close(
        v["concordance"].as_f64().unwrap(),
        m.concordance.unwrap()
    ));
    assert_eq!(
        v["ph_test"]["warning"].as_str(),
        m.ph_test.warning.as_deref()
    );
}

async fn advocates_nps_and_cox(app: &TestApp) {
    let admin = app.admin().await;
    load_sample(app, &admin).await;
    let log = app
        .store
        .transaction_log(&comeback_store::LogQuery::default())
        .await
        .unwrap();

    // No survey answers yet: said so; Cox with the first purchase value only.
    let (s, _, html) = page(app, "/retention", Some(&admin), &[]).await;
    assert_eq!(s, 200);
    assert_eq!(
        inner(&html, "id=\"advocates-missing\""),
        "No survey data yet: no NPS answer of a known customer is stored."
    );
    let want = direct_cox(&log, &[], &[], &[], &[]);
    assert_eq!(want.as_ref().unwrap().names, ["first_value"]);
    check_cox(&html, &want);
    check_cox_api(app, &admin, &want).await;
    // The log-rank line of the curves: the API's test.
    let (_, surv) = app.get("/api/v1/survival?by=segment", Some(&admin)).await;
    let lr = &surv["logrank"];
    let p = lr["p_value"].as_f64().unwrap();
    let p = if p < 0.001 {
        "&lt; 0.001".to_owned()
    } else {
        format!("= {}", fmt::number(p, 3, Lang::En))
    };
    let line = format!(
        "Log-rank test of equal survival: chi-square {} with {} degrees of freedom, p {p}.",
        fmt::number(lr["statistic"].as_f64().unwrap(), 2, Lang::En),
        lr["df"]
    );
    assert!(html.contains(&line), "{line}");

    // NPS answers: the best customer by CLV 10 (advocate); the second 9, later 5 (the
    // latest counts: a high-value detractor); the two lowest 10 and 7 (not high value).
    let snap = app.state.scores.current().unwrap();
    let a = &snap.analysis;
    let mut by_clv: Vec<(f64, &str)> = a
        .summary
        .customers
        .iter()
        .zip(&a.scores.clv)
        .map(|(c, v)| (*v, &*c.customer_id))
        .collect();
    by_clv.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(y.1)));
    let n = by_clv.len();
    let (best, second, low1, low2) = (by_clv[0].1, by_clv[1].1, by_clv[n - 1].1, by_clv[n - 2].1);
    let (s, v) = app
        .post_json(
            "/api/v1/surveys",
            &json!({"name": "NPS", "kind": "nps"}),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let survey = v["id"].as_i64().unwrap();
    let csv = format!(
        "customer,recommend,submitted_at\n{best},10,2026-03-01\n{second},9,2026-03-01\n\
         {second},5,2026-03-05\n{low1},10,2026-03-02\n{low2},7,2026-03-02\n,0,2026-03-02\n"
    );
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/surveys/{survey}/responses/import"),
            "text/csv",
            csv.into_bytes(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let latest = [(best, 10u8), (second, 5), (low1, 10), (low2, 7)];

    // Members: the best and the lowest customer.
    let members = [best, low1];
    let body = json!({"customers": members.iter()
        .map(|c| json!({"external_id": c, "loyalty_member": true})).collect::<Vec<_>>()});
    let (s, v) = app
        .post_json("/api/v1/customers:batch", &body, Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");

    let (s, _, html) = page(app, "/retention", Some(&admin), &[]).await;
    assert_eq!(s, 200);
    // Advocates by hand: 4 respondents, promoters best and low1, high value best and
    // second, advocate best: 1/4 = 25.0 %, Wilson 95 % interval 4.6 % to 69.9 %
    // (centre (p + z²/2n)/(1 + z²/n) = 0.37248, half-width 0.32689).
    assert_eq!(
        inner(&html, "data-adv=\"share\""),
        "25.0% (95 % interval 4.6% to 69.9%)"
    );
    for (k, v) in [
        ("respondents", "4"),
        ("promoters", "2"),
        ("high_value", "2"),
        ("advocates", "1"),
    ] {
        assert_eq!(inner(&html, &format!("data-adv=\"{k}\"")), v, "{k}");
    }
    // ... and as the library computes them on the stored answers and the analysis' CLV.
    let answers: Vec<Option<u8>> = a
        .summary
        .customers
        .iter()
        .map(|c| {
            latest
                .iter()
                .find(|(id, _)| *id == &*c.customer_id)
                .map(|x| x.1)
        })
        .collect();
    let want = advocate_share(&a.scores.clv, &answers, 0.2, 0.95).unwrap();
    assert_eq!(
        (want.respondents, want.advocates, want.high_value),
        (4, 1, 2)
    );
    assert_eq!(
        inner(&html, "data-adv=\"threshold\""),
        fmt::money(want.clv_threshold, "USD", Lang::En)
    );
    assert_eq!(
        inner(&html, "data-adv=\"clv_share\""),
        fmt::percent(want.advocate_clv_share.unwrap(), 1, Lang::En)
    );
    let phv = want.promoters_among_high_value.unwrap();
    assert_eq!(
        inner(&html, "data-adv=\"promoters_among_high_value\""),
        format!(
            "{} (95 % interval {} to {})",
            fmt::percent(phv.estimate, 1, Lang::En),
            fmt::percent(phv.ci_low.unwrap(), 1, Lang::En),
            fmt::percent(phv.ci_high.unwrap(), 1, Lang::En)
        )
    );

    // Loyalty NPS: members answered 10 and 10 (NPS 100), the others 5 and 7 (NPS −50),
    // with compare_members' adjusted-Wald intervals.
    let flags: Vec<Member> = log
        .ids()
        .iter()
        .map(|id| {
            if members.contains(&&**id) {
                Member::Yes { enrolled: None }
            } else {
                Member::No
            }
        })
        .collect();
    let nps_by_log: Vec<Option<u8>> = log
        .ids()
        .iter()
        .map(|id| latest.iter().find(|(c, _)| *c == &**id).map(|x| x.1))
        .collect();
    let c = compare_members(
        &log,
        &flags,
        &Extras {
            clv: None,
            nps: Some(&nps_by_log),
        },
        &LoyaltyOptions::default(),
    )
    .unwrap();
    let (mn, on) = (c.members.nps.unwrap(), c.non_members.nps.unwrap());
    assert_eq!((mn.nps, on.nps), (100.0, -50.0));
    let row = {
        let start = html.find("<th scope=\"row\">NPS (latest answer").unwrap();
        let rest = &html[start..];
        rest[..rest.find("</tr>").unwrap()].to_owned()
    };
    for e in [mn, on] {
        let t = format!(
            "{} ({} – {}; n = 2)",
            fmt::number(e.nps, 1, Lang::En),
            fmt::number(e.ci_low, 1, Lang::En),
            fmt::number(e.ci_high, 1, Lang::En)
        );
        assert!(row.contains(&t), "{row} lacks {t}");
    }

    // Cox with membership and the NPS class: here the members are exactly the promoters,
    // so the fit fails (collinear) and the page says why.
    let want = direct_cox(&log, &[], &members, &latest, &[]);
    assert!(
        matches!(
            want,
            Err(comeback_survival::SurvivalError::Collinear { .. })
        ),
        "{want:?}"
    );
    check_cox(&html, &want);
    check_cox_api(app, &admin, &want).await;
    // With sixty more answers (every 11th score 0–10, customers spread over the CLV
    // ranking), the covariates separate: the page shows the direct fit's numbers, and
    // the advocates are the library's on the new latest answers.
    let mut latest = latest.to_vec();
    let mut csv = "customer,recommend,submitted_at\n".to_owned();
    for k in 0..60 {
        let id = by_clv[10 + 37 * k].1;
        let score = u8::try_from(k % 11).unwrap();
        csv.push_str(&format!("{id},{score},2026-04-01\n"));
        latest.push((id, score));
    }
    let (s, v) = app
        .post_raw(
            &format!("/api/v1/surveys/{survey}/responses/import"),
            "text/csv",
            csv.into_bytes(),
            Some(&admin),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, _, html) = page(app, "/retention", Some(&admin), &[]).await;
    let want = direct_cox(&log, &[], &members, &latest, &[]);
    assert!(want.is_ok(), "{want:?}");
    check_cox(&html, &want);
    check_cox_api(app, &admin, &want).await;
    let answers: Vec<Option<u8>> = a
        .summary
        .customers
        .iter()
        .map(|c| {
            latest
                .iter()
                .find(|(id, _)| *id == &*c.customer_id)
                .map(|x| x.1)
        })
        .collect();
    let want = advocate_share(&a.scores.clv, &answers, 0.2, 0.95).unwrap();
    assert_eq!(want.respondents, 64);
    assert_eq!(
        inner(&html, "data-adv=\"share\""),
        format!(
            "{} (95 % interval {} to {})",
            fmt::percent(want.share.estimate, 1, Lang::En),
            fmt::percent(want.share.ci_low.unwrap(), 1, Lang::En),
            fmt::percent(want.share.ci_high.unwrap(), 1, Lang::En)
        )
    );
    assert_eq!(
        inner(&html, "data-adv=\"advocates\""),
        want.advocates.to_string()
    );

    // Complaints of twenty customers: a "has a complaint" covariate.
    let staff = app.token(comeback_store::Role::Staff).await;
    let complained: Vec<&str> = (0..20).map(|k| by_clv[5 + 101 * k].1).collect();
    for (k, c) in complained.iter().enumerate() {
        let body = json!({
            "reference": format!("CB-{k:04}"), "received_at": "2026-03-02T09:00:00Z",
            "channel": "phone", "customer": c, "description": "late delivery",
            "category": "delivery", "severity": "low"
        });
        let (s, v) = app
            .post_json("/api/v1/complaints", &body, Some(&staff))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let (_, _, html) = page(app, "/retention", Some(&admin), &[]).await;
    let want = direct_cox(&log, &[], &members, &latest, &complained);
    assert!(want.is_ok(), "{want:?}");
    assert_eq!(want.as_ref().unwrap().names.last().unwrap(), "complained");
    check_cox(&html, &want);
    check_cox_api(app, &admin, &want).await;

    // Twenty customers with an earlier purchase at HEL or TKU: their first location.
    for code in ["HEL", "TKU"] {
        app.store
            .upsert_location(&comeback_store::Location {
                code: code.to_owned(),
                name: None,
                time_zone: "UTC".to_owned(),
            })
            .await
            .unwrap();
    }
    let located: Vec<(&str, &str)> = (0..20)
        .map(|k| (by_clv[3 + 97 * k].1, if k % 2 == 0 { "HEL" } else { "TKU" }))
        .collect();
    let body = json!({"transactions": located.iter().enumerate().map(|(k, (c, l))| json!({
        "external_id": format!("loc-{k}"), "customer": c, "occurred_at": "1996-12-31T12:00:00Z",
        "amount": "10", "currency": "USD", "location": l})).collect::<Vec<_>>()});
    let (s, v) = app
        .post_json("/api/v1/transactions:batch", &body, Some(&admin))
        .await;
    assert_eq!(s, 200, "{v}");
    let log = app
        .store
        .transaction_log(&comeback_store::LogQuery::default())
        .await
        .unwrap();
    let (_, _, html) = page(app, "/retention", Some(&admin), &[]).await;
    let want = direct_cox(&log, &located, &members, &latest, &complained);
    assert!(want.is_ok(), "{want:?}");
    assert_eq!(
        want.as_ref().unwrap().names[1..3],
        ["location=TKU", "location=unknown"]
    );
    check_cox(&html, &want);
    check_cox_api(app, &admin, &want).await;
    assert!(html.contains("First location TKU (vs HEL)"), "{html}");

    // Finnish: every key there (strict templates fail the render otherwise).
    let (s, _, html) = page(app, "/retention?lang=fi", Some(&admin), &[]).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("Suosittelijoiden osuus vastanneista"),
        "{html}"
    );
}

server_test!(retention_models, advocates_nps_and_cox);
