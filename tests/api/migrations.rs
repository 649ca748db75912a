//! The schema's latest migrations go down and up again on both databases: migration 17
//! (contact points and contact attempts) and migration 16
//! (deliverability: address states, delivery events, job leases, suppressed mail's
//! reason) goes and comes back; migration 15 removes the analytics epoch, the change
//! notices and the rounds' change counts, and its `down` brings them back as migrations
//! 10, 11 and 13 made them.

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{Backend, TestApp, full_answers, spawn_app};

async fn table_exists(app: &TestApp, table: &str) -> bool {
    app.db
        .execute_unprepared(&format!("SELECT 1 FROM {table}"))
        .await
        .is_ok()
}

async fn the_latest_migration_goes_down_and_up_again(backend: Backend) {
    let app = spawn_app(backend).await;
    let setup = app.scheduled_round(6, "AEO", &["MY"]).await;
    app.open_today(&setup).await;
    let token = app.link(setup.invitation_of("MY")).await;
    for table in ["analytics_epoch", "round_changes"] {
        assert!(!table_exists(&app, table).await, "{table}");
    }

    let follow_up = ["contact_points", "contact_attempts", "handover_requests"];
    for table in follow_up {
        assert!(table_exists(&app, table).await, "{table}");
    }
    Migrator::down(&app.db, Some(1)).await.unwrap();
    for table in follow_up {
        assert!(!table_exists(&app, table).await, "{table}");
    }
    let deliverability = ["address_states", "delivery_events", "job_leases"];
    for table in deliverability {
        assert!(table_exists(&app, table).await, "{table}");
    }
    Migrator::down(&app.db, Some(1)).await.unwrap();
    for table in deliverability {
        assert!(!table_exists(&app, table).await, "{table}");
    }
    assert!(
        app.db
            .execute_unprepared("SELECT suppressed_reason FROM mailings")
            .await
            .is_err()
    );
    Migrator::down(&app.db, Some(1)).await.unwrap();
    for table in ["analytics_epoch", "round_changes"] {
        assert!(table_exists(&app, table).await, "{table}");
    }

    Migrator::up(&app.db, None).await.unwrap();
    for table in ["analytics_epoch", "round_changes"] {
        assert!(!table_exists(&app, table).await, "{table}");
    }
    for table in deliverability.iter().chain(&follow_up) {
        assert!(table_exists(&app, table).await, "{table}");
    }
    app.respond(&token, &full_answers()).await.expect(200);
    let mut revised = full_answers();
    revised["new_projects"] = json!({"yes": true});
    app.respond(&token, &revised).await.expect(200);
    let pending = Migrator::get_pending_migrations(&app.db).await.unwrap();
    assert!(pending.is_empty());
}

on_both_databases!(the_latest_migration_goes_down_and_up_again);
