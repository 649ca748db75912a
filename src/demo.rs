//! Demo data: the Survey 2020 of the ROCB A/P Good Practice Report (round 6, FY 2019/20)
//! and an earlier Survey 2019 so trends show something. The data are the committed files of
//! `fixtures/demo/` (its README says where each figure comes from and how the report's own
//! contradictions are settled), loaded through the use cases the API offers: workshops,
//! participants, rounds and their schedules, each round closed as history, then its replies
//! file through the same import as a user's file, then the good practices.

use chrono::NaiveDate;
use entity::good_practice::Category;
use entity::workshop::Scope;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;

use crate::base::error::ServiceError;
use crate::base::listing::PageRequest;
use crate::domain::refusal::Refusal;
use crate::domain::schedule::ScheduleRules;
use crate::domain::{AdministrationCode, Email, FiscalYear};
use crate::services::audit::Actor;
use crate::services::good_practices::{self, Curation, Source};
use crate::services::participants::{self, ParticipantInput};
use crate::services::questionnaires::QuestionCache;
use crate::services::replies::{import, views};
use crate::services::rounds::attachments::{self, Overrides};
use crate::services::rounds::records::{self, RoundInput};
use crate::services::rounds::states::{self, Transition};
use crate::services::workshops::{self, WorkshopInput};

/// The rounds of the demo, as committed.
pub const ROUNDS_JSON: &str = include_str!("../fixtures/demo/rounds.json");

/// The replies files the rounds name, as committed.
const REPLIES_FILES: [(&str, &str); 2] = [
    (
        "survey-2019-replies.csv",
        include_str!("../fixtures/demo/survey-2019-replies.csv"),
    ),
    (
        "survey-2020-replies.csv",
        include_str!("../fixtures/demo/survey-2020-replies.csv"),
    ),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoFile {
    pub rounds: Vec<DemoRound>,
}

/// A round of the demo.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoRound {
    pub round_number: i32,
    pub title: String,
    /// `2019/20`.
    pub fiscal_year: String,
    /// The replies file, beside `rounds.json`.
    pub replies: String,
    pub workshops: Vec<DemoWorkshop>,
    pub good_practices: Vec<DemoPractice>,
}

/// A workshop of the demo and who took part: one participant per administration code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoWorkshop {
    pub title: String,
    pub topic: String,
    pub scope: Scope,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub venue: Option<String>,
    pub participants: Vec<String>,
}

/// A good practice quoted from the reply of `administration` at `workshop`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoPractice {
    pub workshop: String,
    pub administration: String,
    pub question: String,
    pub quote: String,
    pub category: Category,
}

impl DemoRound {
    /// The replies file of the round.
    pub fn replies_csv(&self) -> anyhow::Result<&'static str> {
        REPLIES_FILES
            .iter()
            .find(|(name, _)| *name == self.replies)
            .map(|(_, text)| *text)
            .ok_or_else(|| anyhow::anyhow!("the demo has no replies file {}", self.replies))
    }
}

/// The committed demo rounds.
pub fn rounds() -> anyhow::Result<Vec<DemoRound>> {
    let file: DemoFile = serde_json::from_str(ROUNDS_JSON)
        .map_err(|e| anyhow::anyhow!("fixtures/demo/rounds.json: {e}"))?;
    Ok(file.rounds)
}

/// What `load` created.
#[derive(Debug, Clone, Copy)]
pub struct Loaded {
    pub survey_2019: i32,
    pub survey_2020: i32,
}

/// Whether the demo rounds are there already.
pub async fn is_loaded(db: &DatabaseConnection) -> Result<bool, ServiceError> {
    let numbers = rounds()?.into_iter().map(|r| r.round_number);
    Ok(entity::round::Entity::find()
        .filter(entity::round::Column::RoundNumber.is_in(numbers))
        .count(db)
        .await?
        > 0)
}

/// Loads both rounds, each through the use cases the API offers.
pub async fn load(db: &DatabaseConnection) -> Result<Loaded, ServiceError> {
    if is_loaded(db).await? {
        return Err(Refusal::DemoLoaded.into());
    }
    let actor = Actor {
        key_id: None,
        name: "demo".into(),
        request_id: None,
    };
    let mut ids = Vec::new();
    for round in rounds()? {
        ids.push(load_round(db, &actor, &round).await?);
    }
    match ids[..] {
        [survey_2019, survey_2020] => Ok(Loaded {
            survey_2019,
            survey_2020,
        }),
        _ => Err(anyhow::anyhow!("the demo holds two rounds").into()),
    }
}

/// The round, its workshops and participants, scheduled; then its replies and practices.
async fn load_round(
    db: &DatabaseConnection,
    actor: &Actor,
    demo: &DemoRound,
) -> Result<i32, ServiceError> {
    let fiscal_year = FiscalYear::parse(&demo.fiscal_year)
        .map_err(|e| anyhow::anyhow!("demo fiscal year: {e}"))?;
    let input = RoundInput {
        title: demo.title.clone(),
        round_number: demo.round_number,
        fiscal_year,
        questionnaire_id: 1,
        rules: ScheduleRules::default(),
    };
    let round = records::create(db, actor, input).await?;
    for workshop in &demo.workshops {
        add_workshop(db, actor, round.id, workshop).await?;
    }
    // History: scheduled (its officers invited), closed, then its replies imported into the
    // invitations, as a round run before the service is loaded.
    states::transition(db, actor, round.id, Transition::Schedule).await?;
    states::transition(db, actor, round.id, Transition::Close).await?;
    let questions = QuestionCache::default();
    import::import(db, &questions, actor, round.id, demo.replies_csv()?).await?;
    add_good_practices(db, actor, &questions, round.id, &demo.good_practices).await?;
    Ok(round.id)
}

async fn add_workshop(
    db: &DatabaseConnection,
    actor: &Actor,
    round_id: i32,
    demo: &DemoWorkshop,
) -> Result<(), ServiceError> {
    let input = WorkshopInput {
        title: demo.title.clone(),
        topic: Some(demo.topic.clone()),
        scope: demo.scope,
        start_date: demo.start_date,
        end_date: demo.end_date,
        venue: demo.venue.clone(),
        is_virtual: demo.venue.is_none(),
        excluded_from_survey: false,
    };
    let workshop = workshops::create(db, actor, input).await?;
    for code in &demo.participants {
        let slug = code.to_lowercase();
        let email = format!("officer.{slug}.{}@customs.example", workshop.id);
        let input = ParticipantInput {
            name: format!("Participant of {code}"),
            email: Email::parse(&email).map_err(|e| anyhow::anyhow!("demo email: {e}"))?,
            position: Some("Customs officer".into()),
            administration: AdministrationCode::parse(code)
                .map_err(|e| anyhow::anyhow!("demo code: {e}"))?,
        };
        participants::create(db, actor, workshop.id, input).await?;
    }
    attachments::attach(db, actor, round_id, workshop.id, Overrides::default()).await?;
    Ok(())
}

async fn add_good_practices(
    db: &DatabaseConnection,
    actor: &Actor,
    questions: &QuestionCache,
    round_id: i32,
    practices: &[DemoPractice],
) -> Result<(), ServiceError> {
    let page = PageRequest {
        page: 1,
        per_page: 200,
    };
    let replies = views::list(db, questions, round_id, Default::default(), page).await?;
    let workshops = attachments::of_round(db, round_id).await?;
    for practice in practices {
        let workshop_id = workshops
            .iter()
            .find(|(_, w)| w.title == practice.workshop)
            .map(|(_, w)| w.id)
            .ok_or_else(|| anyhow::anyhow!("demo workshop {} is missing", practice.workshop))?;
        let reply = replies
            .items
            .iter()
            .find(|r| {
                r.administration_code == practice.administration
                    && r.reply.workshop_id == workshop_id
            })
            .ok_or_else(|| {
                anyhow::anyhow!("demo reply of {} is missing", practice.administration)
            })?;
        let source = Source {
            reply_id: reply.reply.id,
            question_code: practice.question.clone(),
            quote: practice.quote.clone(),
        };
        let curation = Curation {
            text: None,
            category: practice.category,
            administration: None,
            workshop_id: None,
            approved_for_report: true,
            approved_for_feedback: true,
        };
        good_practices::create(db, actor, round_id, source, curation).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// One reply of a replies file: its workshop, administration and answers by column.
    struct DemoReply {
        workshop: String,
        administration: String,
        cells: HashMap<String, String>,
    }

    impl DemoReply {
        fn actions(&self) -> Vec<&str> {
            self.cells["follow_up_actions"]
                .split(';')
                .filter(|a| !a.is_empty())
                .collect()
        }

        fn has(&self, action: &str) -> bool {
            self.actions().contains(&action)
        }

        fn direct(&self) -> bool {
            self.cells["direct_effects"] == "yes"
        }
    }

    fn round(number: i32) -> DemoRound {
        rounds()
            .unwrap()
            .into_iter()
            .find(|r| r.round_number == number)
            .unwrap()
    }

    fn replies(round: &DemoRound) -> Vec<DemoReply> {
        let mut reader = csv::Reader::from_reader(round.replies_csv().unwrap().as_bytes());
        let headers = reader.headers().unwrap().clone();
        reader
            .records()
            .map(|record| {
                let cells: HashMap<String, String> = headers
                    .iter()
                    .map(str::to_owned)
                    .zip(record.unwrap().iter().map(str::to_owned))
                    .collect();
                DemoReply {
                    workshop: cells["workshop"].clone(),
                    administration: cells["administration"].clone(),
                    cells,
                }
            })
            .collect()
    }

    fn attended(round: &DemoRound, reply: &DemoReply) -> bool {
        round
            .workshops
            .iter()
            .find(|w| w.title == reply.workshop)
            .is_some_and(|w| w.participants.contains(&reply.administration))
    }

    #[test]
    fn survey_2020_has_40_participants_and_28_replies() {
        let survey = round(6);
        let participants: usize = survey.workshops.iter().map(|w| w.participants.len()).sum();
        assert_eq!(participants, 40);
        let replies = replies(&survey);
        assert_eq!(replies.len(), 28);
        for r in &replies {
            assert!(attended(&survey, r), "{}", r.administration);
            assert!(!r.actions().is_empty());
            assert_eq!(
                r.has("other"),
                !r.cells["follow_up_actions.other"].is_empty(),
                "{}",
                r.administration
            );
        }
    }

    #[test]
    fn survey_2019_matches_the_figures_the_report_quotes() {
        let survey = round(5);
        let replies = replies(&survey);
        let invited: usize = survey.workshops.iter().map(|w| w.participants.len()).sum();
        assert_eq!((replies.len(), invited), (27, 50), "54%");
        let count = |f: &dyn Fn(&DemoReply) -> bool| replies.iter().filter(|r| f(r)).count();
        let (share, inhouse) = ("share_materials", "organize_inhouse_workshop");
        assert_eq!(
            (
                count(&|r| r.has(share) && r.direct()),
                count(&|r| r.has(share))
            ),
            (11, 19),
            "58%"
        );
        assert_eq!(
            (
                count(&|r| r.has(inhouse) && r.direct()),
                count(&|r| r.has(inhouse))
            ),
            (11, 21),
            "52%"
        );
        assert_eq!(
            (
                count(&|r| r.direct() && (r.has(share) || r.has(inhouse))),
                count(&|r| r.direct())
            ),
            (12, 14),
            "86%"
        );
        for r in &replies {
            assert!(attended(&survey, r));
        }
    }
}
