//! `comeback backup`: copies an existing SQLite database; never creates one.

use super::{assert_fails, comeback, stderr};

#[test]
fn backup_of_a_missing_database_is_an_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert_fails(
        dir.path(),
        &["backup", "--database-url", "sqlite://nonexist.db", "x.db"],
        "error: cannot open sqlite://nonexist.db (run in the directory that holds it, or give \
         --database-url sqlite://PATH): database file \"nonexist.db\" not found",
    );
    // The default URL (sqlite://comeback.db) from a directory without it: the same.
    let o = comeback(dir.path(), &["backup", "x.db"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("database file \"comeback.db\" not found"),
        "{}",
        stderr(&o)
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files created: {left:?}");
}

#[test]
fn backup_copies_an_existing_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let migrations = |u: String| {
        rt.block_on(async {
            let store = comeback_store::StoreConfig::new(u)
                .create_if_missing(false)
                .connect()
                .await
                .unwrap();
            let v = store.applied_migrations().await.unwrap();
            store.close().await;
            v
        })
    };
    rt.block_on(async {
        let store = comeback_store::Store::connect(&url("src.db"))
            .await
            .unwrap();
        store.close().await;
    });
    let o = comeback(
        dir.path(),
        &["backup", "--database-url", &url("src.db"), "copy.db"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "backup written to copy.db\n"
    );
    // The copy is a database at the same migration as the source.
    let source = migrations(url("src.db"));
    assert!(!source.is_empty());
    assert_eq!(migrations(url("copy.db")), source);
}
