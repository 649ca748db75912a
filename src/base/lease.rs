//! Jobs only one instance may run at a time (the bounce mailbox's poller) hold a lease in
//! `job_leases`: the holder renews it each pass; another instance takes it only once it
//! ran out (the holder died or stopped). Each pass's outcome is written on the same row,
//! so any instance can tell how the job fares.

use chrono::{DateTime, Duration, Utc};
use entity::job_lease;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

/// Takes or renews the lease `name` for `holder` until `at + lease`; `false` when another
/// holder has it.
pub async fn acquire(
    db: &impl ConnectionTrait,
    name: &str,
    holder: &str,
    at: DateTime<Utc>,
    lease: Duration,
) -> Result<bool, DbErr> {
    let renewed = job_lease::Entity::update_many()
        .col_expr(job_lease::Column::Holder, Expr::value(holder))
        .col_expr(job_lease::Column::LeasedUntil, Expr::value(at + lease))
        .filter(job_lease::Column::Name.eq(name))
        .filter(
            job_lease::Column::Holder
                .eq(holder)
                .or(job_lease::Column::LeasedUntil.lte(at)),
        )
        .exec(db)
        .await?;
    if renewed.rows_affected == 1 {
        return Ok(true);
    }
    let inserted = job_lease::Entity::insert(job_lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        leased_until: Set(at + lease),
        last_success_at: Set(None),
        last_failure_at: Set(None),
        failures: Set(0),
        last_error: Set(None),
    })
    .on_conflict(
        OnConflict::column(job_lease::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

/// Gives the lease up (the holder stops): another instance may take it at once.
pub async fn release(
    db: &impl ConnectionTrait,
    name: &str,
    holder: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    job_lease::Entity::update_many()
        .col_expr(job_lease::Column::LeasedUntil, Expr::value(at))
        .filter(job_lease::Column::Name.eq(name))
        .filter(job_lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes how the pass of `name` ended: `Ok` clears the failures, an error (in words that
/// name nobody) counts one more.
pub async fn report(
    db: &impl ConnectionTrait,
    name: &str,
    at: DateTime<Utc>,
    outcome: Result<(), &str>,
) -> Result<(), DbErr> {
    let update = job_lease::Entity::update_many().filter(job_lease::Column::Name.eq(name));
    let update = match outcome {
        Ok(()) => update
            .col_expr(job_lease::Column::LastSuccessAt, Expr::value(at))
            .col_expr(job_lease::Column::Failures, Expr::value(0)),
        Err(reason) => update
            .col_expr(job_lease::Column::LastFailureAt, Expr::value(at))
            .col_expr(
                job_lease::Column::Failures,
                Expr::col(job_lease::Column::Failures).add(1),
            )
            .col_expr(
                job_lease::Column::LastError,
                Expr::value(reason.chars().take(200).collect::<String>()),
            ),
    };
    update.exec(db).await?;
    Ok(())
}

/// The lease row of `name`, if the job ever ran.
pub async fn status(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<job_lease::Model>, DbErr> {
    job_lease::Entity::find_by_id(name.to_owned()).one(db).await
}
