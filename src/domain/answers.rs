//! Answers to a questionnaire: checked against the questions, stored in columns that
//! analytics can aggregate, and shown back in the same shape they were given.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::questionnaire::{OTHER, Question, QuestionType};
use super::{FieldError, InvalidInput, LongTextInput, lenient};

/// The answer to one question, as a request gives it. Which fields apply depends on the
/// question's type: `yes` (yes/no), `choice` (single choice), `choices` (multiple choice),
/// `value` (scale), `text` (text); `other` goes with the choice `other`; any question may
/// carry a `comment` (examples, details). `choices: []` answers a multiple-choice question
/// with none of its options ("none of these"), which counts as an answer; leaving the
/// question out does not.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub yes: Option<bool>,
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub choice: Option<String>,
    #[schema(max_items = 50)]
    pub choices: Option<Vec<String>>,
    pub other: Option<LongTextInput>,
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = -1000, maximum = 1000)]
    pub value: Option<i32>,
    pub text: Option<LongTextInput>,
    pub comment: Option<LongTextInput>,
}

/// The answer to one question, as stored and shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Answer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yes: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Answer {
    /// The options chosen, for single and multiple choice alike.
    pub fn chosen(&self) -> Vec<String> {
        match (&self.choice, &self.choices) {
            (Some(choice), _) => vec![choice.clone()],
            (None, Some(choices)) => choices.clone(),
            (None, None) => Vec::new(),
        }
    }

    /// The answer as a person reads it (without its comment): `Yes`, option labels joined
    /// by `; ` with the `other` text, `None of these`, a number, the text.
    pub fn in_words(&self, question: &Question) -> String {
        let label_of = |code: &String| {
            if code == OTHER {
                format!("Other: {}", self.other.clone().unwrap_or_default())
            } else {
                question
                    .options
                    .iter()
                    .find(|o| &o.code == code)
                    .map_or_else(|| code.clone(), |o| o.label.clone())
            }
        };
        match question.question_type {
            QuestionType::YesNo => match self.yes {
                Some(true) => "Yes".to_owned(),
                _ => "No".to_owned(),
            },
            QuestionType::MultipleChoice if self.chosen().is_empty() => "None of these".to_owned(),
            QuestionType::SingleChoice | QuestionType::MultipleChoice => self
                .chosen()
                .iter()
                .map(label_of)
                .collect::<Vec<_>>()
                .join("; "),
            QuestionType::Scale => self.value.map(|v| v.to_string()).unwrap_or_default(),
            QuestionType::Text => self.text.clone().unwrap_or_default(),
        }
    }
}

/// Valid answers by question code. Questions left out are unanswered.
pub type Answers = BTreeMap<String, Answer>;

/// Checks `inputs` against `questions`; every failure is reported as `answers.<code>...`.
pub fn validate(
    questions: &[Question],
    inputs: &BTreeMap<String, AnswerInput>,
) -> Result<Answers, InvalidInput> {
    let mut errors = Vec::new();
    let mut answers = Answers::new();
    for (code, input) in inputs {
        let field = format!("answers.{code}");
        let Some(question) = questions.iter().find(|q| &q.code == code) else {
            errors.push(FieldError::new(field, "no question has this code"));
            continue;
        };
        match validate_one(question, input) {
            Ok(answer) => {
                answers.insert(code.clone(), answer);
            }
            Err((suffix, message)) => errors.push(FieldError::new(
                if suffix.is_empty() {
                    field
                } else {
                    format!("{field}.{suffix}")
                },
                message,
            )),
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(InvalidInput(errors))
    }
}

type Failure = (&'static str, String);

fn validate_one(question: &Question, input: &AnswerInput) -> Result<Answer, Failure> {
    let comment =
        LongTextInput::parse_optional(input.comment.as_ref()).map_err(|m| ("comment", m))?;
    let other = LongTextInput::parse_optional(input.other.as_ref()).map_err(|m| ("other", m))?;
    check_kind(question, input)?;
    let mut answer = Answer {
        comment,
        ..Answer::default()
    };
    match question.question_type {
        QuestionType::YesNo => answer.yes = input.yes,
        QuestionType::Scale => {
            let value = input.value.unwrap_or_default();
            let (min, max) = (
                question.scale_min.unwrap_or(i32::MIN),
                question.scale_max.unwrap_or(i32::MAX),
            );
            if !(min..=max).contains(&value) {
                return Err(("value", format!("must be between {min} and {max}")));
            }
            answer.value = Some(value);
        }
        QuestionType::Text => {
            let text = input
                .text
                .as_ref()
                .map(LongTextInput::parse)
                .transpose()
                .map_err(|m| ("text", m))?;
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
        return Err(("other", "only choice questions take `other`".into()));
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
            format!(
                "a {:?} question is answered with `{expected}`",
                question.question_type
            ),
        ));
    }
    if !given
        .iter()
        .any(|(name, present)| *present && *name == expected)
    {
        return Err((
            expected,
            "give an answer, or leave the question out to skip it".into(),
        ));
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
        Some(choice) => Err((
            field,
            format!("`{choice}` is not an option of this question"),
        )),
        None => Ok(()),
    }
}

fn check_other(choices: &[String], other: Option<String>) -> Result<Option<String>, Failure> {
    let chose_other = choices.iter().any(|c| c == OTHER);
    match (chose_other, other) {
        (true, None) => Err(("other", "describe the `other` choice".into())),
        (false, Some(_)) => Err(("other", "`other` text needs the choice `other`".into())),
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
            check(json!({"new_projects": {}})).unwrap_err(),
            ["answers.new_projects.yes"]
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
