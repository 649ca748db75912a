//! Mail templates as staff edit them: saved only when they render, reset to the shipped
//! default by deleting the edit.

use entity::mail_template;
use entity::mailing::MailKind;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};

use super::audit::{self, Actor, Change};
use crate::base::clock::now;
use crate::base::error::ServiceError;
use crate::db;
use crate::mail::templates::{self, Rendered, TemplateParts};

/// A template in force and whether staff edited it.
#[derive(Debug, Clone)]
pub struct Template {
    pub kind: MailKind,
    pub parts: TemplateParts,
    pub customized: bool,
}

pub async fn get(db: &impl ConnectionTrait, kind: MailKind) -> Result<Template, ServiceError> {
    let (parts, customized) = templates::effective(db, kind).await?;
    Ok(Template {
        kind,
        parts,
        customized,
    })
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<Template>, ServiceError> {
    let mut all = Vec::new();
    for kind in templates::KINDS {
        all.push(get(db, kind).await?);
    }
    Ok(all)
}

/// Saves an edit that renders with sample data (422 naming the part otherwise).
pub async fn save(
    db: &DatabaseConnection,
    actor: &Actor,
    kind: MailKind,
    parts: TemplateParts,
) -> Result<Template, ServiceError> {
    templates::check(kind, &parts).await?;
    let txn = db::begin(db).await?;
    let before = get(&txn, kind).await?;
    mail_template::Entity::insert(mail_template::ActiveModel {
        kind: Set(kind),
        subject: Set(parts.subject.clone()),
        body_text: Set(parts.text.clone()),
        body_html: Set(parts.html.clone()),
        updated_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(mail_template::Column::Kind)
            .update_columns([
                mail_template::Column::Subject,
                mail_template::Column::BodyText,
                mail_template::Column::BodyHtml,
                mail_template::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let after = get(&txn, kind).await?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            "mail_template",
            sea_orm::ActiveEnum::to_value(&kind),
            &snapshot(&before),
            &snapshot(&after),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Back to the shipped default.
pub async fn reset(
    db: &DatabaseConnection,
    actor: &Actor,
    kind: MailKind,
) -> Result<Template, ServiceError> {
    let txn = db::begin(db).await?;
    let before = get(&txn, kind).await?;
    mail_template::Entity::delete_by_id(kind).exec(&txn).await?;
    let after = get(&txn, kind).await?;
    let change = Change {
        action: "reset",
        ..Change::updated(
            "mail_template",
            sea_orm::ActiveEnum::to_value(&kind),
            &snapshot(&before),
            &snapshot(&after),
        )
    };
    audit::record(&txn, actor, change).await?;
    txn.commit().await?;
    Ok(after)
}

/// Renders `parts` (or the template in force) with sample data.
pub async fn preview(
    db: &DatabaseConnection,
    kind: MailKind,
    parts: Option<TemplateParts>,
) -> Result<Rendered, ServiceError> {
    let parts = match parts {
        Some(parts) => parts,
        None => get(db, kind).await?.parts,
    };
    Ok(templates::check(kind, &parts).await?)
}

fn snapshot(template: &Template) -> serde_json::Value {
    serde_json::json!({
        "subject": template.parts.subject,
        "text": template.parts.text,
        "html": template.parts.html,
        "customized": template.customized,
    })
}
