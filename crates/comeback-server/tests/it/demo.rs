//! `comeback serve --demo` (`comeback_server::demo`): the CDNOW sample stored, the demo
//! login made and the scores computed before the server starts, which then does not
//! refit them again (a second full refit on the same data used to run at every demo
//! start).

use std::time::Duration;

use comeback_server::scores::RefitState;
use comeback_server::{Application, Settings};
use comeback_store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_refits_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let mut settings = Settings::for_database(url.clone());
    settings.auth = comeback_server::auth::AuthSettings::insecure_for_tests();
    let store = Store::connect(&url).await.unwrap();
    let app = Application::build_with_store(settings, store.clone())
        .await
        .unwrap();
    let state = app.state().clone();
    let demo = comeback_server::demo::load(&state, Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!((demo.transactions, demo.customers), (6919, 2357));
    assert_eq!(demo.email, comeback_server::demo::DEMO_EMAIL);
    assert_eq!(state.scores.completed_refits(), 1);
    let RefitState::Succeeded { at } = state.scores.state() else {
        panic!("{:?}", state.scores.state());
    };

    // Start serving, as `comeback serve --demo` does after `load`.
    let base = format!("http://127.0.0.1:{}", app.port());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let r = client.get(format!("{base}/login")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // The start-up refit would have begun within milliseconds of the start: give it
    // ample time, then check that none ran or runs.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(state.scores.completed_refits(), 1);
    assert!(!state.scores.refit_pending());
    match state.scores.state() {
        RefitState::Succeeded { at: now } => assert_eq!(now, at),
        other => panic!("a second refit: {other:?}"),
    }

    let _ = tx.send(());
    server.await.unwrap().unwrap();
    store.close().await;
}
