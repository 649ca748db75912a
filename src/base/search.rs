//! Free-text filters of the lists.

use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, IntoColumnRef, LikeExpr};

/// Case-insensitive "contains" over several text columns, the same on PostgreSQL and SQLite.
pub fn text_search<C: IntoColumnRef + Copy>(columns: &[C], query: &str) -> Condition {
    let escaped = query
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    columns.iter().fold(Condition::any(), |condition, column| {
        condition.add(
            Expr::expr(Func::lower(Expr::col(*column)))
                .like(LikeExpr::new(pattern.clone()).escape('\\')),
        )
    })
}
