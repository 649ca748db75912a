//! An answer as a request gives it, as it is stored, and as a person reads it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::questionnaire::{OTHER, Question, QuestionType};
use crate::domain::{LongTextInput, lenient};

/// The answer to one question, as a request gives it. Which fields apply depends on the
/// question's type: `yes` (yes/no), `choice` (single choice), `choices` (multiple choice),
/// `value` (scale), `text` (text); `other` goes with the choice `other`; any question may
/// carry a `comment` (examples, details). `choices: []` answers a multiple-choice question
/// with none of its options ("none of these"), which counts as an answer; leaving the
/// question out does not, nor does `null` in its place or an answer whose members are all
/// `null` (`{"yes": null}`): those are read as the question left out.
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

impl AnswerInput {
    /// Whether no member gives an answer or a comment: `{}` or `{"yes": null}`. Such an
    /// answer counts as the question left out.
    pub fn is_empty(&self) -> bool {
        self.yes.is_none()
            && self.choice.is_none()
            && self.choices.is_none()
            && self.other.is_none()
            && self.value.is_none()
            && self.text.is_none()
            && self.comment.is_none()
    }
}

/// Deserializes the answers of a request with `null` for a question read as leaving it
/// out (`"new_projects": null`), as `{"yes": null}` is. Use with `deserialize_with`.
pub fn without_nulls<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, AnswerInput>, D::Error> {
    let answers = BTreeMap::<String, Option<AnswerInput>>::deserialize(deserializer)?;
    Ok(answers
        .into_iter()
        .filter_map(|(code, answer)| answer.map(|answer| (code, answer)))
        .collect())
}

/// The schema of answers by question code, each an [`AnswerInput`] or `null`.
pub fn answers_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    use utoipa::openapi::{Ref, RefOr};
    let answer = OneOfBuilder::new()
        .item(Ref::from_schema_name("AnswerInput"))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build();
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(RefOr::T(Schema::OneOf(answer))))
        .build()
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
