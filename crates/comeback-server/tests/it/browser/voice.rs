//! The voice-of-the-customer sections of `/surveys` (issue 8 item 4) in a real browser on a
//! desktop and a phone viewport: NPS by membership, comments by reason, CSAT, which metric
//! predicts defection and the exit reasons' yearly lost revenue are shown, and the page
//! passes the checks of every page (no console error, no horizontal overflow on the phone).

use super::cdp::{DESKTOP, PHONE};
use super::{Visit, admin_with_password, browser, login};
use crate::helpers::TestApp;
use crate::voice_dashboard::{fill_answers, fill_customers, import};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_sections_on_desktop_and_phone() {
    let test = "voice_sections_on_desktop_and_phone";
    let Some(chromium) = browser(test) else {
        return;
    };
    let app = TestApp::sqlite_with(crate::auth::cheap).await;
    let (email, password) = admin_with_password(&app).await;
    let (admin, nps) = fill_customers(&app).await;
    import(
        &app,
        &admin,
        nps,
        "customer,recommend,submitted_at\nl1,3,2024-01-15\n",
    )
    .await;
    fill_answers(&app, &admin, nps).await;
    let base = app.base.clone();
    tokio::task::spawn_blocking(move || {
        for view in [DESKTOP, PHONE] {
            let mut v = Visit::new(&chromium, &base, view, test);
            login(&mut v, &email, &password);
            v.goto("/surveys?lang=de");
            for id in [
                "nps-by-membership",
                "comment-reasons",
                "rating-csat",
                "predictors",
                "predictor-classes",
                "exit-reasons",
            ] {
                assert!(
                    v.c.exists(&format!("#{id}")),
                    "#{id} missing: {}",
                    v.c.text()
                );
            }
            let text = |v: &mut Visit, sel: &str| {
                v.c.eval(&format!("document.querySelector('{sel}').innerText"))
                    .as_str()
                    .unwrap()
                    .to_owned()
            };
            let m = text(&mut v, "#nps-by-membership");
            assert!(m.contains("Mitglieder des Programms\t2\t0,0"), "{m}");
            let p = text(&mut v, "#predictors tbody");
            // CSAT first with AUC 8.5/9, then NPS with 7.5/9.
            assert!(
                p.starts_with("Zufriedenheit (CSAT, 1–5)\t6\t3\t0,944"),
                "{p}"
            );
            assert!(p.contains("NPS (0–10)\t6\t3\t0,833"), "{p}");
            let e = text(&mut v, "#exit-reasons");
            assert!(e.contains("Verlorener Umsatz pro Jahr"), "{e}");
            assert!(e.contains("230\u{a0}€"), "{e}");
            let c = text(&mut v, "#predictor-counts");
            // s1–s3 retained of the 6 customers with an outcome.
            assert!(c.contains("Kunden mit bekanntem Ergebnis\t6"), "{c}");
            assert!(c.contains("Davon gehalten\t3"), "{c}");
            v.check("surveys-voice");
        }
    })
    .await
    .unwrap();
    app.cleanup().await;
}
