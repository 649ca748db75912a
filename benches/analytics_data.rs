//! Generates the analytics benchmark's data on PostgreSQL: `BENCH_ROUNDS` rounds (10 by
//! default), each with 50 workshops of 40 participants (2,000 invitations a round) and
//! about 70% replies, with answers to the default questionnaire. Every round but the newest
//! is closed; the newest is open, as the round an office follows while replies come in.
//! Prints the id of the newest round.
//!
//! Run by `scripts/bench-analytics.sh`; `BENCH_DATABASE_URL` names the database to fill.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use entity::invitation::InvitationStatus;
use entity::reply::Provenance;
use entity::round::RoundState;
use entity::workshop::Scope;
use entity::{
    administration, answer, answer_choice, invitation, participant, reply, round, round_workshop,
    workshop,
};
use followup::base::records::insert_in_chunks;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

const WORKSHOPS: usize = 50;
const PARTICIPANTS: usize = 40;
const OPTIONS: [&str; 6] = [
    "share_materials",
    "submit_report",
    "make_recommendations",
    "organize_inhouse_workshop",
    "develop_manuals",
    "other",
];

/// A cheap deterministic pseudo-random number for the i-th draw.
fn draw(i: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("BENCH_DATABASE_URL")?;
    let rounds: i32 = std::env::var("BENCH_ROUNDS").map_or(Ok(10), |n| n.parse())?;
    let db = followup::db::connect(&followup::config::DatabaseSettings::new(url.into())).await?;
    followup::startup::prepare_database(&db).await?;
    let administrations: Vec<i32> = administration::Entity::find()
        .all(&db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let now = Utc::now();
    let mut newest = 0;
    let mut counter = 0u64;
    for number in 1..=rounds {
        let open = number == rounds;
        let year = 2009 + number;
        let round = round::ActiveModel {
            title: Set(format!("Survey {}", year + 1)),
            round_number: Set(number),
            fiscal_year: Set(year),
            questionnaire_id: Set(1),
            state: Set(if open {
                RoundState::Open
            } else {
                RoundState::Closed
            }),
            open_offset_months: Set(6),
            reply_window_days: Set(21),
            reminder_offsets_days: Set(serde_json::json!([7, 2])),
            created_at: Set(now),
            updated_at: Set(now),
            scheduled_at: Set(Some(now)),
            opened_at: Set(Some(now)),
            closed_at: Set((!open).then_some(now)),
            ..Default::default()
        }
        .insert(&db)
        .await?;
        newest = round.id;
        let mut invitations = Vec::new();
        let mut participants = Vec::new();
        let mut attachments = Vec::new();
        let mut workshop_ids = Vec::new();
        for w in 0..WORKSHOPS {
            let start =
                NaiveDate::from_ymd_opt(year, 7, 1).unwrap() + chrono::Days::new((w * 7) as u64);
            let created = workshop::ActiveModel {
                title: Set(format!("Workshop {number}-{w}")),
                topic: Set(Some("Benchmark".into())),
                scope: Set(if w % 3 == 0 {
                    Scope::Regional
                } else {
                    Scope::SubRegional
                }),
                start_date: Set(start),
                end_date: Set(start + chrono::Days::new(3)),
                venue: Set(Some("Bangkok".into())),
                is_virtual: Set(false),
                excluded_from_survey: Set(false),
                fiscal_year: Set(if start.month() >= 7 {
                    start.year()
                } else {
                    start.year() - 1
                }),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&db)
            .await?;
            workshop_ids.push(created.id);
            attachments.push(round_workshop::ActiveModel {
                round_id: Set(round.id),
                workshop_id: Set(created.id),
                attached_at: Set(now),
                ..Default::default()
            });
            for p in 0..PARTICIPANTS {
                participants.push(participant::ActiveModel {
                    workshop_id: Set(created.id),
                    administration_id: Set(administrations[(w + p) % administrations.len()]),
                    name: Set(format!("Officer {p}")),
                    email: Set(format!("officer{p}.w{}@customs.example", created.id)),
                    position: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
            }
        }
        insert_in_chunks(&db, attachments).await?;
        insert_in_chunks(&db, participants).await?;
        let due = Utc.with_ymd_and_hms(year + 1, 1, 20, 1, 0, 0).unwrap();
        for (w, workshop_id) in workshop_ids.iter().enumerate() {
            for p in 0..PARTICIPANTS {
                counter += 1;
                let replied = draw(counter) % 10 < 7;
                invitations.push(invitation::ActiveModel {
                    round_id: Set(round.id),
                    workshop_id: Set(*workshop_id),
                    administration_id: Set(administrations[(w + p) % administrations.len()]),
                    participant_id: Set(None),
                    token_hash: Set(None),
                    token_issued_at: Set(None),
                    status: Set(if replied {
                        InvitationStatus::Replied
                    } else {
                        InvitationStatus::Invited
                    }),
                    opens_at: Set(due - chrono::Duration::days(21)),
                    due_at: Set(due),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
            }
        }
        insert_in_chunks(&db, invitations).await?;
        let stored = invitation::Entity::find()
            .filter(invitation::Column::RoundId.eq(round.id))
            .all(&db)
            .await?;
        let replies: Vec<reply::ActiveModel> = stored
            .iter()
            .filter(|i| i.status == InvitationStatus::Replied)
            .map(|i| reply::ActiveModel {
                invitation_id: Set(i.id),
                round_id: Set(round.id),
                workshop_id: Set(i.workshop_id),
                administration_id: Set(i.administration_id),
                first_submitted_at: Set(due),
                last_submitted_at: Set(due),
                late: Set(false),
                provenance: Set(Provenance::Participant),
                revision: Set(1),
                ..Default::default()
            })
            .collect();
        insert_in_chunks(&db, replies).await?;
        let stored_replies = reply::Entity::find()
            .filter(reply::Column::RoundId.eq(round.id))
            .all(&db)
            .await?;
        let mut answers = Vec::new();
        let mut choices = Vec::new();
        for r in &stored_replies {
            let seed = r.id as u64 * 7;
            let yes = |k: u64, percent: u64| draw(seed + k) % 100 < percent;
            for (k, option) in OPTIONS.iter().enumerate() {
                if yes(k as u64, [80, 65, 55, 40, 35, 30][k]) || k == 1 && !yes(9, 5) {
                    choices.push(answer_choice::ActiveModel {
                        reply_id: Set(r.id),
                        question_code: Set("follow_up_actions".into()),
                        option_code: Set((*option).into()),
                        round_id: Set(round.id),
                    });
                }
            }
            let other = choices
                .last()
                .is_some_and(|c| c.option_code.as_ref() == "other" && c.reply_id.as_ref() == &r.id);
            answers.push(answer::ActiveModel {
                reply_id: Set(r.id),
                question_code: Set("follow_up_actions".into()),
                round_id: Set(round.id),
                yes_no: Set(None),
                scale_value: Set(None),
                text_value: Set(None),
                other_text: Set(other.then(|| "Other action".to_owned())),
                comment: Set(None),
            });
            answers.push(answer::ActiveModel {
                reply_id: Set(r.id),
                question_code: Set("lessons_applied".into()),
                round_id: Set(round.id),
                yes_no: Set(None),
                scale_value: Set(None),
                text_value: Set(Some("Applied the lessons in daily work.".into())),
                other_text: Set(None),
                comment: Set(None),
            });
            for (k, (code, percent)) in [
                ("direct_effects", 50),
                ("efficiency_improved", 95),
                ("new_projects", 70),
            ]
            .iter()
            .enumerate()
            {
                if !yes(20 + k as u64, 6) {
                    answers.push(answer::ActiveModel {
                        reply_id: Set(r.id),
                        question_code: Set((*code).into()),
                        round_id: Set(round.id),
                        yes_no: Set(Some(yes(10 + k as u64, *percent))),
                        scale_value: Set(None),
                        text_value: Set(None),
                        other_text: Set(None),
                        comment: Set(None),
                    });
                }
            }
        }
        insert_in_chunks(&db, answers).await?;
        insert_in_chunks(&db, choices).await?;
        eprintln!(
            "round {number}: {} invitations, {} replies",
            stored.len(),
            stored_replies.len()
        );
    }
    // As autovacuum would after a load this size: fresh statistics for the planner.
    sea_orm::ConnectionTrait::execute_unprepared(&db, "ANALYZE").await?;
    println!("{newest}");
    Ok(())
}
