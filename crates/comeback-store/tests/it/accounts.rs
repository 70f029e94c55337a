//! Users, lockout, API tokens, sessions and the one-time admin set-up.

use std::time::Duration;

use chrono::TimeDelta;
use comeback_store::{LockoutPolicy, NewUser, Role, StoreError};

use crate::common::{TestDb, at, store_test};

const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: email.into(),
        role,
        password_hash: Some(PHC.into()),
    }
}

async fn users_and_lockout(db: &TestDb) {
    let s = &db.store;
    assert_eq!(s.count_users().await.unwrap(), 0);
    let u = s
        .create_user(&new_user("  Manager@Shop.Example ", Role::Manager))
        .await
        .unwrap();
    assert_eq!(u.email, "manager@shop.example");
    assert_eq!(u.role, Role::Manager);
    assert!(!format!("{u:?}").contains("argon2"), "Debug shows the hash");
    assert!(matches!(
        s.create_user(&new_user("manager@shop.example", Role::Staff))
            .await,
        Err(StoreError::Duplicate { .. })
    ));
    assert!(matches!(
        s.create_user(&new_user("not an email", Role::Staff)).await,
        Err(StoreError::Invalid { .. })
    ));
    let found = s
        .user_by_email("MANAGER@shop.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, u);
    assert!(s.user_by_email("x@y.z").await.unwrap().is_none());

    // Locations of a manager.
    for code in ["hel", "tre"] {
        s.upsert_location(&comeback_store::Location {
            code: code.into(),
            name: None,
            time_zone: "Europe/Helsinki".into(),
        })
        .await
        .unwrap();
    }
    s.set_user_locations(u.id, &["tre".into(), "hel".into()])
        .await
        .unwrap();
    assert_eq!(
        s.user(u.id).await.unwrap().unwrap().locations,
        ["hel", "tre"]
    );
    assert!(matches!(
        s.set_user_locations(u.id, &["nowhere".into()]).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        s.user(u.id).await.unwrap().unwrap().locations,
        ["hel", "tre"]
    );

    // Three failures lock for ten minutes; a password reset unlocks.
    let policy = LockoutPolicy {
        max_failures: 3,
        lock_for: Duration::from_secs(600),
    };
    let now = at("2024-05-01T12:00:00Z");
    let a = s.record_failed_login(u.id, now, policy).await.unwrap();
    assert_eq!((a.failed_logins, a.locked_until), (1, None));
    s.record_failed_login(u.id, now, policy).await.unwrap();
    let c = s.record_failed_login(u.id, now, policy).await.unwrap();
    assert_eq!(c.locked_until, Some(at("2024-05-01T12:10:00Z")));
    assert!(c.is_locked(now + TimeDelta::minutes(9)));
    assert!(!c.is_locked(now + TimeDelta::minutes(10)));
    s.set_password_hash(u.id, "$argon2id$new").await.unwrap();
    let d = s.user(u.id).await.unwrap().unwrap();
    assert_eq!((d.failed_logins, d.locked_until), (0, None));
    assert_eq!(d.password_hash.as_deref(), Some("$argon2id$new"));
    s.set_role(u.id, Role::Staff).await.unwrap();
    assert_eq!(s.user(u.id).await.unwrap().unwrap().role, Role::Staff);
    assert_eq!(s.users().await.unwrap().len(), 1);
}
store_test!(users_lock_after_repeated_failures, super::users_and_lockout);

async fn tokens(db: &TestDb) {
    let s = &db.store;
    let u = s
        .create_user(&new_user("api@shop.example", Role::Admin))
        .await
        .unwrap();
    let now = at("2024-05-01T12:00:00Z");
    let t = s.create_api_token(u.id, "pos import", now).await.unwrap();
    assert!(t.secret.starts_with(&t.token.prefix));
    assert!(
        !format!("{t:?}").contains(&t.secret[17..]),
        "Debug shows the secret"
    );
    // At rest: the digest only, never the secret.
    let stored = db
        .raw_rows("SELECT prefix, token_hash FROM api_tokens")
        .await;
    let hash = stored[0][1].clone().unwrap();
    assert_ne!(hash, t.secret);
    assert!(!hash.contains(&t.secret[17..]));
    assert_eq!(hash.len(), 64);
    assert!(!format!("{stored:?}").contains(&t.secret));

    let later = now + TimeDelta::hours(1);
    let owner = s.verify_api_token(&t.secret, later).await.unwrap().unwrap();
    assert_eq!(owner.user.id, u.id);
    assert_eq!(owner.token_id, t.token.id);
    let listed = s.api_tokens(u.id).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(later));
    // Uses within a minute of the recorded one are not written; the next one after is.
    let soon = later + TimeDelta::seconds(59);
    assert!(s.verify_api_token(&t.secret, soon).await.unwrap().is_some());
    assert_eq!(
        s.api_tokens(u.id).await.unwrap()[0].last_used_at,
        Some(later)
    );
    let minute = later + TimeDelta::seconds(60);
    assert!(
        s.verify_api_token(&t.secret, minute)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        s.api_tokens(u.id).await.unwrap()[0].last_used_at,
        Some(minute)
    );
    // One changed character, a truncated or an empty secret are refused.
    let mut forged = t.secret.clone().into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'0' { b'1' } else { b'0' };
    let forged = String::from_utf8(forged).unwrap();
    for bad in [forged.as_str(), &t.secret[..40], "", "cbt_ü"] {
        assert!(
            s.verify_api_token(bad, later).await.unwrap().is_none(),
            "{bad}"
        );
    }
    s.revoke_api_token(u.id, t.token.id, later).await.unwrap();
    assert!(
        s.verify_api_token(&t.secret, later)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        s.revoke_api_token(u.id, t.token.id + 1000, later).await,
        Err(StoreError::NotFound { .. })
    ));
}
store_test!(api_tokens_are_hashed_at_rest, super::tokens);

async fn sessions(db: &TestDb) {
    let s = &db.store;
    let u = s
        .create_user(&new_user("staff@shop.example", Role::Staff))
        .await
        .unwrap();
    let now = at("2024-05-01T12:00:00Z");
    let a = s
        .create_session(u.id, now, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(a.expires_at, at("2024-05-01T13:00:00Z"));
    assert!(!format!("{a:?}").contains(&a.token));
    let stored = format!("{:?}", db.raw_rows("SELECT id_hash FROM sessions").await);
    assert!(!stored.contains(&a.token));
    let found = s.session(&a.token, now).await.unwrap().unwrap();
    assert_eq!(found.user, u.id);
    assert_eq!(found.csrf_token, a.csrf_token);
    assert!(s.session("nope", now).await.unwrap().is_none());
    // Expired at its end.
    assert!(
        s.session(&a.token, at("2024-05-01T13:00:00Z"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.session(&a.token, now).await.unwrap().is_none(), "deleted");
    let b = s
        .create_session(u.id, now, Duration::from_secs(60))
        .await
        .unwrap();
    s.delete_session(&b.token).await.unwrap();
    assert!(s.session(&b.token, now).await.unwrap().is_none());
    let c = s
        .create_session(u.id, now, Duration::from_secs(60))
        .await
        .unwrap();
    s.create_session(u.id, now, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(
        s.delete_expired_sessions(now + TimeDelta::seconds(2))
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.delete_user_sessions(u.id).await.unwrap(), 1);
    assert!(s.session(&c.token, now).await.unwrap().is_none());
}
store_test!(sessions_expire_and_end, super::sessions);

async fn setup(db: &TestDb) {
    let s = &db.store;
    let first = s.admin_setup_token().await.unwrap().unwrap();
    let token = s.admin_setup_token().await.unwrap().unwrap();
    assert_ne!(first, token);
    // The earlier link died with the new one; a wrong token does nothing.
    assert!(
        s.complete_admin_setup(&first, "root@shop.example", PHC)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(s.count_users().await.unwrap(), 0);
    let admin = s
        .complete_admin_setup(&token, "root@shop.example", PHC)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert!(
        s.complete_admin_setup(&token, "second@shop.example", PHC)
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.admin_setup_token().await.unwrap().is_none());
    assert_eq!(s.count_users().await.unwrap(), 1);
    let audit = s.audit_log(5).await.unwrap();
    assert_eq!(audit[0].action, "user.setup_admin");
    assert_eq!(audit[0].actor, Some(admin.id));
}
store_test!(admin_setup_link_works_once, super::setup);
