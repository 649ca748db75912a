//! What the pages show, shaped for the templates: the workshop and the officer, the due
//! date in the administration's own time zone, each question with its controls, what was
//! entered and its error, and the answers as recorded.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::form::{self, Entered, Errors, Form, NONE_OF_THESE, Part};
use crate::domain::answers::Answers;
use crate::domain::questionnaire::{OTHER, Question, QuestionType};
use crate::domain::{TimeZone, wording};
use crate::services::replies::views::ResponseForm;

/// Scales with at most this many points are radio buttons; longer ones a number field.
const MOST_SCALE_RADIOS: i32 = 11;

/// The invitation the page is about.
#[derive(Debug, Serialize)]
pub struct Invitation {
    pub round: String,
    pub workshop: String,
    pub dates: String,
    pub venue: Option<String>,
    pub administration: String,
    pub officer: Option<String>,
    /// The due date at 09:00 in the administration's own time zone.
    pub due: String,
    /// The due date has passed (late replies are still welcome).
    pub late: bool,
}

/// One control of a question: a radio button or a checkbox.
#[derive(Debug, Serialize)]
pub struct Choice {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
    /// The option `other`: its text field follows it.
    pub is_other: bool,
}

/// One question as the form shows it.
#[derive(Debug, Serialize)]
pub struct QuestionView {
    pub number: usize,
    pub code: String,
    pub label: String,
    pub help: Option<String>,
    /// `radios`, `checkboxes`, `number` or `text`.
    pub control: &'static str,
    pub choices: Vec<Choice>,
    /// Multiple choice: the box "None of these".
    pub none: Option<Choice>,
    pub other_label: &'static str,
    pub other_field_label: &'static str,
    /// Yes/no and short scales: the buttons side by side.
    pub inline: bool,
    pub min: Option<i32>,
    pub max: Option<i32>,
    pub entered: Entered,
    /// Offer a comment field (yes/no and scale questions, or a comment already given).
    pub comment: bool,
    pub error: Option<String>,
    pub other_error: Option<String>,
    pub comment_error: Option<String>,
}

/// A line of the error summary, linking to its field.
#[derive(Debug, Serialize)]
pub struct SummaryLine {
    pub target: String,
    pub message: String,
}

/// A question and its answer as recorded.
#[derive(Debug, Serialize)]
pub struct Recorded {
    pub question: String,
    pub answer: String,
    pub comment: Option<String>,
}

/// The administration's time zone.
fn zone(form: &ResponseForm) -> Tz {
    TimeZone::of_stored(&form.administration.time_zone)
}

/// `10–12 December 2019`, `28 November – 2 December 2019`.
fn date_range(start: NaiveDate, end: NaiveDate) -> String {
    let full = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    if start == end {
        full(start)
    } else if start.format("%Y-%m").to_string() == end.format("%Y-%m").to_string() {
        format!("{}\u{2013}{}", start.format("%-d"), full(end))
    } else if start.format("%Y").to_string() == end.format("%Y").to_string() {
        format!("{} \u{2013} {}", start.format("%-d %B"), full(end))
    } else {
        format!("{} \u{2013} {}", full(start), full(end))
    }
}

/// A moment as the officer reads it: `09:00 on Tuesday 7 July 2020, Thailand time (UTC+7)`.
pub fn local(at: DateTime<Utc>, form: &ResponseForm) -> String {
    wording::moment(at, zone(form), &form.administration.name)
}

pub fn invitation(form: &ResponseForm, now: DateTime<Utc>) -> Invitation {
    Invitation {
        round: form.round.title.clone(),
        workshop: form.workshop.title.clone(),
        dates: date_range(form.workshop.start_date, form.workshop.end_date),
        venue: form.workshop.venue.clone(),
        administration: form.administration.name.clone(),
        officer: form.participant_name.clone(),
        due: local(form.invitation.due_at, form),
        late: now > form.invitation.due_at,
    }
}

fn choice(id: String, value: &str, label: &str, entered: &Entered) -> Choice {
    Choice {
        id,
        value: value.to_owned(),
        label: label.to_owned(),
        checked: entered.chosen.iter().any(|c| c == value),
        is_other: value == OTHER,
    }
}

/// The label of the radio button that leaves a question unanswered.
const NO_ANSWER: &str = "No answer";

/// The radio buttons or checkboxes of a question, the first with the id errors link to.
fn choices(question: &Question, entered: &Entered) -> Vec<Choice> {
    let code = &question.code;
    let id = |i: usize| {
        if i == 0 {
            format!("q-{code}")
        } else {
            format!("q-{code}-{i}")
        }
    };
    let mut options: Vec<(String, String)> = match question.question_type {
        QuestionType::YesNo => vec![("yes".into(), "Yes".into()), ("no".into(), "No".into())],
        QuestionType::Scale => question
            .scale_range()
            .into_iter()
            .flatten()
            .map(|v| (v.to_string(), v.to_string()))
            .collect(),
        _ => question
            .options
            .iter()
            .map(|o| (o.code.clone(), o.label.clone()))
            .collect(),
    };
    if question.allow_other {
        options.push((OTHER.into(), form::other_label(question).into()));
    }
    // Every question may be left blank, and a picked radio button cannot be unpicked: the
    // last radio button takes the answer back.
    if control(question) == "radios" {
        options.push((String::new(), NO_ANSWER.into()));
    }
    let scale = question.question_type == QuestionType::Scale;
    let nothing = entered.chosen.is_empty() && entered.text.trim().is_empty();
    options
        .iter()
        .enumerate()
        .map(|(i, (value, label))| {
            let mut choice = choice(id(i), value, label, entered);
            if value.is_empty() {
                choice.checked = nothing;
            } else if scale {
                choice.checked = entered.text.trim() == value;
            }
            choice
        })
        .collect()
}

fn control(question: &Question) -> &'static str {
    match question.question_type {
        QuestionType::YesNo | QuestionType::SingleChoice => "radios",
        QuestionType::MultipleChoice => "checkboxes",
        QuestionType::Scale => {
            let few = question
                .scale_range()
                .is_some_and(|range| range.end() - range.start() < MOST_SCALE_RADIOS);
            if few { "radios" } else { "number" }
        }
        QuestionType::Text => "text",
    }
}

/// Every question with its controls, what was entered and its errors.
pub fn questions(asked: &[Question], entered: &Form, errors: &Errors) -> Vec<QuestionView> {
    asked
        .iter()
        .enumerate()
        .map(|(index, question)| {
            let entered = entered.get(&question.code).cloned().unwrap_or_default();
            let error = |part: Part| errors.get(&(question.code.clone(), part)).cloned();
            let control = control(question);
            let none = (question.question_type == QuestionType::MultipleChoice).then(|| {
                let id = format!("q-{}-none", question.code);
                choice(id, NONE_OF_THESE, "None of these", &entered)
            });
            QuestionView {
                number: index + 1,
                code: question.code.clone(),
                label: question.label.clone(),
                help: question.help.clone(),
                control,
                choices: if control == "radios" || control == "checkboxes" {
                    choices(question, &entered)
                } else {
                    Vec::new()
                },
                none,
                other_label: form::other_label(question),
                other_field_label: if question.question_type == QuestionType::MultipleChoice {
                    "Describe the other action"
                } else {
                    "Describe the other answer"
                },
                inline: matches!(
                    question.question_type,
                    QuestionType::YesNo | QuestionType::Scale
                ),
                min: question.scale_min,
                max: question.scale_max,
                comment: matches!(
                    question.question_type,
                    QuestionType::YesNo | QuestionType::Scale
                ) || !entered.comment.is_empty(),
                entered,
                error: error(Part::Answer),
                other_error: error(Part::Other),
                comment_error: error(Part::Comment),
            }
        })
        .collect()
}

/// The error summary: each message linking to the field it is about, in question order.
pub fn summary(asked: &[Question], errors: &Errors) -> Vec<SummaryLine> {
    let mut lines = Vec::new();
    for question in asked {
        for part in [Part::Answer, Part::Other, Part::Comment] {
            let Some(message) = errors.get(&(question.code.clone(), part)) else {
                continue;
            };
            let target = match part {
                Part::Answer => format!("q-{}", question.code),
                Part::Other => format!("q-{}-other", question.code),
                Part::Comment => format!("q-{}-comment", question.code),
            };
            lines.push(SummaryLine {
                target,
                message: message.clone(),
            });
        }
    }
    lines
}

/// The answers as recorded, in question order; questions left out are not listed.
pub fn recorded(asked: &[Question], answers: &Answers) -> Vec<Recorded> {
    asked
        .iter()
        .filter_map(|question| {
            let answer = answers.get(&question.code)?;
            Some(Recorded {
                question: question.label.clone(),
                answer: answer.in_words(question),
                comment: answer.comment.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_a_range() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            date_range(d("2019-12-10"), d("2019-12-12")),
            "10\u{2013}12 December 2019"
        );
        assert_eq!(
            date_range(d("2019-11-28"), d("2019-12-02")),
            "28 November \u{2013} 2 December 2019"
        );
        assert_eq!(
            date_range(d("2020-01-14"), d("2020-01-14")),
            "14 January 2020"
        );
    }
}
