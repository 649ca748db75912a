//! Which rounds take imported history, checked before an import's file is read: a draft,
//! whose invitations belong to no officer yet, or a closed round that never gave out a link
//! or sent a mail (the history of a round run elsewhere). A scheduled or open round's
//! invitations belong to officers who will answer by their own links: an imported reply
//! given to one of them would greet the officer as "You replied on ..." with someone
//! else's answers, editable.

use entity::round::{self, RoundState};
use entity::{invitation, mailing};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::columns::{FIXED, MAX_ROWS, question_columns};
use crate::base::error::ServiceError;
use crate::base::records::find_by_id;
use crate::base::sheet_reading::SheetBounds;
use crate::domain::MAX_LONG_TEXT_CHARS;
use crate::domain::questionnaire::Question;
use crate::domain::refusal::Refusal;
use crate::domain::wire_name;
use crate::services::questionnaires::{self, QuestionCache};

/// Refuses `round` unless it takes imported history.
pub async fn check_takes_history(
    db: &impl ConnectionTrait,
    round: &round::Model,
) -> Result<(), ServiceError> {
    match round.state {
        RoundState::Draft => Ok(()),
        RoundState::Scheduled | RoundState::Open => Err(Refusal::ImportIntoLiveRound {
            state: wire_name(round.state),
        }
        .into()),
        RoundState::Closed => {
            let links = invitation::Entity::find()
                .filter(invitation::Column::RoundId.eq(round.id))
                .filter(invitation::Column::TokenGeneration.gt(0))
                .count(db)
                .await?;
            let mail = mailing::Entity::find()
                .filter(mailing::Column::RoundId.eq(round.id))
                .count(db)
                .await?;
            match links + mail {
                0 => Ok(()),
                sent => Err(Refusal::ImportAfterLinks { sent }.into()),
            }
        }
    }
}

/// What a workbook imported into `round_id` may hold: the columns of the round's export,
/// [`MAX_ROWS`] rows, the longest answer in a cell. 404 when there is no such round, and
/// the refusal of [`check_takes_history`] when it takes none, before any file is read.
pub async fn sheet_bounds(
    db: &impl ConnectionTrait,
    questions: &QuestionCache,
    round_id: i32,
) -> Result<SheetBounds, ServiceError> {
    let round = find_by_id::<round::Entity>(db, "round", round_id).await?;
    check_takes_history(db, &round).await?;
    let questions = questionnaires::questions_of_round(db, questions, &round).await?;
    Ok(bounds(&questions))
}

fn bounds(questions: &[Question]) -> SheetBounds {
    SheetBounds {
        columns: FIXED.len() + question_columns(questions).len(),
        rows: MAX_ROWS,
        cell_chars: MAX_LONG_TEXT_CHARS,
    }
}
