//! Checking answers against their questions: every fault of every answer, typed, so the
//! API can name the field and a page can say it in its own words.

use std::collections::BTreeMap;

use super::answer::{Answer, AnswerInput, Answers};
use crate::domain::questionnaire::{OTHER, Question, QuestionType};
use crate::domain::{FieldError, InvalidInput, LongTextInput};

/// What is wrong with one answer. Its words are the API's; a page may say it otherwise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    #[error("no question has this code")]
    UnknownQuestion,
    #[error("a {} question is answered with `{expected}`", type_in_words(*question_type))]
    WrongMember {
        question_type: QuestionType,
        expected: &'static str,
    },
    #[error("give an answer, or leave the question out to skip it")]
    NoAnswer,
    #[error("must be between {min} and {max}")]
    OutOfRange { min: i32, max: i32 },
    #[error("`{0}` is not an option of this question")]
    NotAnOption(String),
    #[error("describe the `other` choice")]
    OtherNotDescribed,
    #[error("`other` text needs the choice `other`")]
    OtherWithoutChoice,
    #[error("only choice questions take `other`")]
    OtherOnNonChoice,
    /// A text too long, or holding control characters.
    #[error("{0}")]
    Text(String),
}

/// A question's type as staff and participants say it: `yes/no`, `single-choice`.
fn type_in_words(question_type: QuestionType) -> &'static str {
    match question_type {
        QuestionType::YesNo => "yes/no",
        QuestionType::SingleChoice => "single-choice",
        QuestionType::MultipleChoice => "multiple-choice",
        QuestionType::Scale => "scale",
        QuestionType::Text => "text",
    }
}

/// A fault of the answer to question `code`, in its `member` (`other`, `comment`, the
/// answer's own member such as `value`, or empty for the answer as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerFault {
    pub code: String,
    pub member: &'static str,
    pub fault: Fault,
}

/// Checks `inputs` against `questions`; every fault of every answer.
pub fn check(
    questions: &[Question],
    inputs: &BTreeMap<String, AnswerInput>,
) -> Result<Answers, Vec<AnswerFault>> {
    let mut faults = Vec::new();
    let mut answers = Answers::new();
    for (code, input) in inputs {
        if input.is_empty() {
            continue; // `{}` or `{"yes": null}`: the question left out
        }
        let checked = match questions.iter().find(|q| &q.code == code) {
            Some(question) => validate_one(question, input),
            None => Err(("", Fault::UnknownQuestion)),
        };
        match checked {
            Ok(answer) => {
                answers.insert(code.clone(), answer);
            }
            Err((member, fault)) => faults.push(AnswerFault {
                code: code.clone(),
                member,
                fault,
            }),
        }
    }
    if faults.is_empty() {
        Ok(answers)
    } else {
        Err(faults)
    }
}

/// [`check`], every fault reported as the field `answers.<code>[.<member>]`.
pub fn validate(
    questions: &[Question],
    inputs: &BTreeMap<String, AnswerInput>,
) -> Result<Answers, InvalidInput> {
    check(questions, inputs).map_err(|faults| {
        InvalidInput(
            faults
                .into_iter()
                .map(|f| {
                    let field = match f.member {
                        "" => format!("answers.{}", f.code),
                        member => format!("answers.{}.{member}", f.code),
                    };
                    let message = format!("question {}: {}", f.code, f.fault);
                    FieldError::new(field, message)
                })
                .collect(),
        )
    })
}

type Failure = (&'static str, Fault);

fn validate_one(question: &Question, input: &AnswerInput) -> Result<Answer, Failure> {
    let comment = LongTextInput::parse_optional(input.comment.as_ref())
        .map_err(|m| ("comment", Fault::Text(m)))?;
    let other = LongTextInput::parse_optional(input.other.as_ref())
        .map_err(|m| ("other", Fault::Text(m)))?;
    check_kind(question, input)?;
    let mut answer = Answer {
        comment,
        ..Answer::default()
    };
    match question.question_type {
        QuestionType::YesNo => answer.yes = input.yes,
        QuestionType::Scale => {
            let value = input.value.unwrap_or_default();
            if let Some(range) = question.scale_range()
                && !range.contains(&value)
            {
                let (min, max) = range.into_inner();
                return Err(("value", Fault::OutOfRange { min, max }));
            }
            answer.value = Some(value);
        }
        QuestionType::Text => {
            let text = input
                .text
                .as_ref()
                .map(LongTextInput::parse)
                .transpose()
                .map_err(|m| ("text", Fault::Text(m)))?;
            answer.text = text;
        }
        QuestionType::SingleChoice => {
            let choice = input.choice.clone().unwrap_or_default();
            check_choices(question, std::slice::from_ref(&choice), "choice")?;
            answer.other = check_other(std::slice::from_ref(&choice), other)?;
            answer.choice = Some(choice);
        }
        QuestionType::MultipleChoice => {
            let (choices, other) = multiple_choice(question, input, other)?;
            answer.choices = Some(choices);
            answer.other = other;
        }
    }
    if answer.other.is_some() && !question.question_type.has_options() {
        return Err(("other", Fault::OtherOnNonChoice));
    }
    Ok(answer)
}

/// The answer is given in the one member its question's type takes.
fn check_kind(question: &Question, input: &AnswerInput) -> Result<(), Failure> {
    let given = [
        ("yes", input.yes.is_some()),
        ("choice", input.choice.is_some()),
        ("choices", input.choices.is_some()),
        ("value", input.value.is_some()),
        ("text", input.text.is_some()),
    ];
    let expected = match question.question_type {
        QuestionType::YesNo => "yes",
        QuestionType::SingleChoice => "choice",
        QuestionType::MultipleChoice => "choices",
        QuestionType::Scale => "value",
        QuestionType::Text => "text",
    };
    if let Some((wrong, _)) = given
        .iter()
        .find(|(name, present)| *present && *name != expected)
    {
        return Err((
            wrong,
            Fault::WrongMember {
                question_type: question.question_type,
                expected,
            },
        ));
    }
    if !given
        .iter()
        .any(|(name, present)| *present && *name == expected)
    {
        return Err((expected, Fault::NoAnswer));
    }
    Ok(())
}

/// The options chosen, in the questionnaire's order (so equal answers compare equal),
/// `other` last, and the `other` text. No option at all ("none of these") is an answer
/// too, unlike leaving the question out.
fn multiple_choice(
    question: &Question,
    input: &AnswerInput,
    other: Option<String>,
) -> Result<(Vec<String>, Option<String>), Failure> {
    let choices = input.choices.clone().unwrap_or_default();
    check_choices(question, &choices, "choices")?;
    let other = check_other(&choices, other)?;
    let mut ordered: Vec<String> = question
        .options
        .iter()
        .map(|o| o.code.clone())
        .filter(|code| choices.contains(code))
        .collect();
    if choices.iter().any(|c| c == OTHER) {
        ordered.push(OTHER.into());
    }
    Ok((ordered, other))
}

fn check_choices(
    question: &Question,
    choices: &[String],
    field: &'static str,
) -> Result<(), Failure> {
    match choices.iter().find(|choice| !question.offers(choice)) {
        Some(choice) => Err((field, Fault::NotAnOption(choice.clone()))),
        None => Ok(()),
    }
}

fn check_other(choices: &[String], other: Option<String>) -> Result<Option<String>, Failure> {
    let chose_other = choices.iter().any(|c| c == OTHER);
    match (chose_other, other) {
        (true, None) => Err(("other", Fault::OtherNotDescribed)),
        (false, Some(_)) => Err(("other", Fault::OtherWithoutChoice)),
        (_, other) => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::questionnaire::default_questions;

    fn check(answers: serde_json::Value) -> Result<Answers, Vec<String>> {
        let inputs: BTreeMap<String, AnswerInput> = serde_json::from_value(answers).unwrap();
        validate(&default_questions(), &inputs)
            .map_err(|e| e.0.into_iter().map(|f| f.field).collect())
    }

    #[test]
    fn a_multiple_choice_question_can_be_answered_with_none_of_its_options() {
        let answers = check(json!({"follow_up_actions": {"choices": []}})).unwrap();
        assert_eq!(
            answers["follow_up_actions"].choices.as_deref(),
            Some(&[] as &[String])
        );
        assert_eq!(
            check(json!({"follow_up_actions": {"choices": [], "other": "Nothing"}})),
            Err(vec!["answers.follow_up_actions.other".to_owned()]),
            "`other` text goes with the option `other`"
        );
    }

    #[test]
    fn a_full_reply_is_valid_and_choices_keep_the_questionnaire_order() {
        let answers = check(json!({
            "follow_up_actions": {"choices": ["other", "submit_report", "share_materials"], "other": "Briefed the minister"},
            "lessons_applied": {"text": "Reviewed our AEO program"},
            "direct_effects": {"yes": true, "comment": "Faster audits"},
            "efficiency_improved": {"yes": true},
            "new_projects": {"yes": false}
        }))
        .unwrap();
        assert_eq!(
            answers["follow_up_actions"].choices.as_deref().unwrap(),
            ["share_materials", "submit_report", "other"]
        );
        assert_eq!(
            answers["direct_effects"].comment.as_deref(),
            Some("Faster audits")
        );
    }

    #[test]
    fn any_question_may_be_left_out() {
        assert_eq!(
            check(json!({"new_projects": {"yes": true}})).unwrap().len(),
            1
        );
        assert!(check(json!({})).unwrap().is_empty());
    }

    #[test]
    fn mistakes_name_the_field() {
        assert_eq!(
            check(json!({"colour": {"text": "red"}})).unwrap_err(),
            ["answers.colour"]
        );
        assert_eq!(
            check(json!({"new_projects": {"text": "yes"}})).unwrap_err(),
            ["answers.new_projects.text"]
        );
        assert_eq!(
            check(json!({"new_projects": {"comment": "Soon"}})).unwrap_err(),
            ["answers.new_projects.yes"],
            "a comment alone is no answer"
        );
        assert!(
            check(json!({"new_projects": {}, "direct_effects": {"yes": null}}))
                .unwrap()
                .is_empty(),
            "an answer of nothing leaves the question out"
        );
        assert_eq!(
            check(json!({"follow_up_actions": {"choices": ["other"]}})).unwrap_err(),
            ["answers.follow_up_actions.other"]
        );
        assert_eq!(
            check(json!({"follow_up_actions": {"choices": ["fly"]}})).unwrap_err(),
            ["answers.follow_up_actions.choices"]
        );
        assert_eq!(
            check(json!({"follow_up_actions": {"choices": ["submit_report"], "other": "x"}}))
                .unwrap_err(),
            ["answers.follow_up_actions.other"]
        );
    }

    #[test]
    fn a_scale_answer_must_lie_on_the_scale() {
        let question = Question {
            code: "useful".into(),
            question_type: QuestionType::Scale,
            label: "How useful?".into(),
            help: None,
            options: vec![],
            allow_other: false,
            scale_min: Some(1),
            scale_max: Some(5),
        };
        let input = |value| {
            BTreeMap::from([(
                "useful".to_string(),
                AnswerInput {
                    value: Some(value),
                    ..Default::default()
                },
            )])
        };
        assert!(validate(std::slice::from_ref(&question), &input(5)).is_ok());
        let error = validate(&[question], &input(6)).unwrap_err();
        assert_eq!(error.0[0].field, "answers.useful.value");
    }
}
