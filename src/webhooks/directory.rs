//! The active webhook endpoints, kept in memory so that the events of a reply are fanned
//! out without reading the `webhooks` table on every submission. The copy is read again
//! whenever the table may have changed, by a write with an API key on this instance or on
//! any other (`crate::base::changes`), and not used while such changes may go unheard.

use std::sync::Arc;

use entity::webhook;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::base::changes::{Changes, Copies, Heard};

/// This instance's copy of the active endpoints; clones share it.
#[derive(Debug, Clone)]
pub struct Directory {
    copy: Copies<(), Arc<Vec<webhook::Model>>>,
}

impl Directory {
    pub fn new(changes: Changes) -> Self {
        Self {
            copy: Copies::new(changes, Heard::ByThisProcess),
        }
    }

    /// The active endpoints: the copy when it holds, else read (and kept when every change
    /// is heard; a copy read while the table changed is never used, as the generation it
    /// was read at is then gone).
    pub async fn active(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Arc<Vec<webhook::Model>>, DbErr> {
        let generation = self.copy.generation();
        if let Some(endpoints) = generation.and_then(|g| self.copy.get(&(), g)) {
            return Ok(endpoints);
        }
        let endpoints = Arc::new(read_active(db).await?);
        if let Some(generation) = generation {
            self.copy.keep((), generation, endpoints.clone());
        }
        Ok(endpoints)
    }
}

/// The active endpoints as the table holds them now.
pub async fn read_active(db: &impl ConnectionTrait) -> Result<Vec<webhook::Model>, DbErr> {
    webhook::Entity::find()
        .filter(webhook::Column::Active.eq(true))
        .all(db)
        .await
}
