//! Retention objectives: create, read, replace, delete, on both backends.

use comeback_store::{Comparator, NewObjective, ObjectiveMetric, StoreError};

use crate::common::{TestDb, store_test};

fn defection(target: f64) -> NewObjective {
    NewObjective {
        metric: ObjectiveMetric::DefectionRate,
        comparator: Comparator::AtMost,
        target,
        owner: "Ana (store manager)".into(),
        period: "2026".into(),
    }
}

async fn crud(db: &TestDb) {
    let s = &db.store;
    assert!(s.list_objectives().await.unwrap().is_empty());
    let a = s.create_objective(&defection(15.0)).await.unwrap();
    assert_eq!(a.spec.metric, ObjectiveMetric::DefectionRate);
    assert_eq!(a.spec.target, 15.0);
    assert_eq!(a.created_at, a.updated_at);
    let nps = NewObjective {
        metric: ObjectiveMetric::Nps,
        comparator: Comparator::AtLeast,
        target: -12.5,
        owner: "CX team".into(),
        period: "2026-Q3".into(),
    };
    let b = s.create_objective(&nps).await.unwrap();
    assert_eq!(s.list_objectives().await.unwrap(), [a.clone(), b.clone()]);
    assert_eq!(s.objective(b.id).await.unwrap(), b);

    let changed = s.update_objective(a.id, &defection(12.0)).await.unwrap();
    assert_eq!(changed.spec.target, 12.0);
    assert_eq!(changed.created_at, a.created_at);
    assert!(changed.updated_at >= a.updated_at);

    for bad in [
        defection(f64::NAN),
        defection(-0.1),
        defection(100.5),
        NewObjective {
            owner: String::new(),
            ..defection(1.0)
        },
        NewObjective {
            owner: "x".repeat(201),
            ..defection(1.0)
        },
        NewObjective {
            period: "next year".into(),
            ..defection(1.0)
        },
        NewObjective {
            target: -101.0,
            ..nps.clone()
        },
    ] {
        assert!(
            matches!(
                s.create_objective(&bad).await,
                Err(StoreError::Invalid { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        s.update_objective(999, &defection(1.0)).await,
        Err(StoreError::NotFound { .. })
    ));
    s.delete_objective(a.id).await.unwrap();
    assert!(matches!(
        s.delete_objective(a.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.objective(a.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(s.list_objectives().await.unwrap(), [b]);
}
store_test!(objectives_crud, super::crud);
