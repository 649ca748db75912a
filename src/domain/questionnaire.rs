//! Questionnaires: typed questions with stable codes, so rounds can be compared question
//! by question. The stored form (JSON in the database) is [`Question`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lenient;
use super::{FieldError, InvalidInput, LongTextInput, TextInput};

/// Pattern of question and option codes; `other` is reserved for the free-text option.
pub const CODE_PATTERN: &str = "^(?!other$)[a-z][a-z0-9_]{0,63}$";
/// The option code of the free-text choice of a question that allows it.
pub const OTHER: &str = "other";
const MAX_QUESTIONS: usize = 100;
const MAX_OPTIONS: usize = 50;
const SCALE_LIMIT: i32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// Answer `{"yes": true}`; a `comment` may give examples.
    YesNo,
    /// Answer `{"choice": "code"}`; `{"choice": "other", "other": "..."}` when allowed.
    SingleChoice,
    /// Answer `{"choices": ["code", ...]}`; `"other"` with `other` text when allowed.
    MultipleChoice,
    /// Answer `{"value": n}` with `scale_min <= n <= scale_max`.
    Scale,
    /// Answer `{"text": "..."}`.
    Text,
}

impl QuestionType {
    pub fn has_options(self) -> bool {
        matches!(self, Self::SingleChoice | Self::MultipleChoice)
    }
}

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChoiceOption {
    #[schema(example = "share_materials")]
    pub code: String,
    #[schema(example = "Shared the training materials with colleagues")]
    pub label: String,
}

/// A question as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Question {
    /// Stable code; rounds are compared by it.
    #[schema(example = "follow_up_actions")]
    pub code: String,
    #[serde(rename = "type")]
    pub question_type: QuestionType,
    pub label: String,
    pub help: Option<String>,
    /// The options of a choice question, in display order.
    pub options: Vec<ChoiceOption>,
    /// Whether a choice question offers `other` with free text.
    pub allow_other: bool,
    pub scale_min: Option<i32>,
    pub scale_max: Option<i32>,
}

impl Question {
    /// Whether `code` is a valid choice for this question.
    pub fn offers(&self, code: &str) -> bool {
        (self.allow_other && code == OTHER) || self.options.iter().any(|o| o.code == code)
    }

    /// The values a scale question takes (a scale question is published only with both
    /// bounds); `None` for other types.
    pub fn scale_range(&self) -> Option<std::ops::RangeInclusive<i32>> {
        Some(self.scale_min?..=self.scale_max?)
    }
}

/// An option as a request gives it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOptionInput {
    #[schema(pattern = "^(?!other$)[a-z][a-z0-9_]{0,63}$")]
    pub code: String,
    pub label: TextInput,
}

/// A question as a request gives it. Choice questions need `options`; scale questions
/// need `scale_min < scale_max`; other fields must be left out for other types.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    #[schema(pattern = "^(?!other$)[a-z][a-z0-9_]{0,63}$")]
    pub code: String,
    #[serde(rename = "type")]
    pub question_type: QuestionType,
    pub label: LongTextInput,
    pub help: Option<LongTextInput>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub options: Vec<ChoiceOptionInput>,
    #[serde(default)]
    pub allow_other: bool,
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = -1000, maximum = 1000)]
    pub scale_min: Option<i32>,
    #[serde(default, deserialize_with = "lenient::optional_int")]
    #[schema(minimum = -1000, maximum = 1000)]
    pub scale_max: Option<i32>,
}

/// The columns of the replies' CSV before the answers, in order. A question coded like
/// one would make the file ambiguous, so these codes are reserved; the answer columns'
/// suffixes (`.other`, `.comment`) cannot clash, since codes hold no dot.
pub const REPLY_COLUMNS: [&str; 11] = [
    "workshop",
    "workshop_topic",
    "workshop_scope",
    "workshop_start_date",
    "workshop_end_date",
    "workshop_venue",
    "workshop_virtual",
    "administration",
    "submitted_at",
    "late",
    "provenance",
];

fn is_code(value: &str) -> bool {
    let mut chars = value.chars();
    value != OTHER
        && value.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a list of questions; every failure is reported with its path.
pub fn parse_questions(inputs: &[QuestionInput]) -> Result<Vec<Question>, InvalidInput> {
    let mut errors = Vec::new();
    if inputs.is_empty() || inputs.len() > MAX_QUESTIONS {
        errors.push(FieldError::new(
            "questions",
            "give between 1 and 100 questions",
        ));
    }
    let mut codes = BTreeSet::new();
    let mut questions = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let at = |field: &str| format!("questions[{index}].{field}");
        let mut fail = |field: String, message: &str| errors.push(FieldError::new(field, message));
        if !is_code(&input.code) {
            fail(
                at("code"),
                "must be lower-case letters, digits and _, starting with a letter (not `other`)",
            );
        } else if REPLY_COLUMNS.contains(&input.code.as_str()) {
            fail(
                at("code"),
                "is reserved: the replies' CSV has a column of this name; choose another code",
            );
        } else if !codes.insert(input.code.clone()) {
            fail(at("code"), "another question has this code");
        }
        let label = input.label.parse().map_err(|m| fail(at("label"), &m)).ok();
        let help = LongTextInput::parse_optional(input.help.as_ref())
            .map_err(|m| fail(at("help"), &m))
            .ok();
        let options = parse_options(index, input, &mut errors);
        check_scale(index, input, &mut errors);
        if let (Some(label), Some(help)) = (label, help) {
            questions.push(Question {
                code: input.code.clone(),
                question_type: input.question_type,
                label,
                help,
                options,
                allow_other: input.allow_other,
                scale_min: input.scale_min,
                scale_max: input.scale_max,
            });
        }
    }
    if errors.is_empty() {
        Ok(questions)
    } else {
        Err(InvalidInput(errors))
    }
}

/// The options of question `index`: 1 to 50 with distinct codes for a choice question,
/// none (and no `other`) for the rest.
fn parse_options(
    index: usize,
    input: &QuestionInput,
    errors: &mut Vec<FieldError>,
) -> Vec<ChoiceOption> {
    let at = |field: &str| format!("questions[{index}].{field}");
    let mut fail = |field: String, message: &str| errors.push(FieldError::new(field, message));
    let mut options = Vec::new();
    if !input.question_type.has_options() {
        if !input.options.is_empty() {
            fail(at("options"), "only choice questions have options");
        }
        if input.allow_other {
            fail(at("allow_other"), "only choice questions offer `other`");
        }
        return options;
    }
    if input.options.is_empty() || input.options.len() > MAX_OPTIONS {
        fail(
            at("options"),
            "a choice question needs between 1 and 50 options",
        );
    }
    let mut option_codes = BTreeSet::new();
    for (i, option) in input.options.iter().enumerate() {
        let field = format!("questions[{index}].options[{i}]");
        if !is_code(&option.code) {
            fail(
                format!("{field}.code"),
                "must be lower-case letters, digits and _ (not `other`)",
            );
        } else if !option_codes.insert(option.code.clone()) {
            fail(format!("{field}.code"), "another option has this code");
        }
        match option.label.parse() {
            Ok(label) => options.push(ChoiceOption {
                code: option.code.clone(),
                label,
            }),
            Err(m) => fail(format!("{field}.label"), &m),
        }
    }
    options
}

/// A scale question has both ends, in order, within the limits; other questions none.
fn check_scale(index: usize, input: &QuestionInput, errors: &mut Vec<FieldError>) {
    let at = |field: &str| format!("questions[{index}].{field}");
    let mut fail = |field: String, message: &str| errors.push(FieldError::new(field, message));
    match (input.question_type, input.scale_min, input.scale_max) {
        (QuestionType::Scale, Some(min), Some(max)) => {
            if min >= max || min < -SCALE_LIMIT || max > SCALE_LIMIT {
                fail(
                    at("scale_max"),
                    "needs scale_min < scale_max, both within ±1000",
                );
            }
        }
        (QuestionType::Scale, _, _) => fail(
            at("scale_min"),
            "a scale question needs scale_min and scale_max",
        ),
        (_, None, None) => {}
        _ => fail(
            at("scale_min"),
            "only scale questions have scale_min and scale_max",
        ),
    }
}

/// The ROCB follow-up questionnaire (version 1), as PRODUCT.md and the report's
/// Appendix 1 ask it.
pub fn default_questions() -> Vec<Question> {
    let option = |code: &str, label: &str| ChoiceOption {
        code: code.into(),
        label: label.into(),
    };
    let question = |code: &str, question_type, label: &str, help: &str| Question {
        code: code.into(),
        question_type,
        label: label.into(),
        help: Some(help.into()),
        options: Vec::new(),
        allow_other: false,
        scale_min: None,
        scale_max: None,
    };
    vec![
        Question {
            options: vec![
                option(
                    "share_materials",
                    "Shared or circulated the training materials with colleagues",
                ),
                option("submit_report", "Submitted a report to superiors"),
                option(
                    "make_recommendations",
                    "Made recommendations to senior officials",
                ),
                option(
                    "organize_inhouse_workshop",
                    "Organized an in-house workshop or briefing",
                ),
                option(
                    "develop_manuals",
                    "Developed operational manuals or guidelines",
                ),
            ],
            allow_other: true,
            ..question(
                "follow_up_actions",
                QuestionType::MultipleChoice,
                "What follow-up actions did you take after the workshop?",
                "Choose every action taken; describe any other action under \"other\".",
            )
        },
        question(
            "lessons_applied",
            QuestionType::Text,
            "How did you apply the lessons learnt from the workshop?",
            "Describe how the knowledge was applied in your daily work or your administration.",
        ),
        question(
            "direct_effects",
            QuestionType::YesNo,
            "Have you realized any direct effects from applying the lessons learnt?",
            "If yes, give examples in the comment.",
        ),
        question(
            "efficiency_improved",
            QuestionType::YesNo,
            "Did the workshop improve work efficiency and effectiveness in your administration?",
            "If yes, give examples in the comment.",
        ),
        question(
            "new_projects",
            QuestionType::YesNo,
            "Were new modernization projects initiated, or existing ones enhanced, thanks to the workshop?",
            "If yes, give details in the comment.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> Vec<QuestionInput> {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_default_questionnaire_has_the_report_s_five_questions() {
        let codes: Vec<_> = default_questions().into_iter().map(|q| q.code).collect();
        assert_eq!(
            codes,
            [
                "follow_up_actions",
                "lessons_applied",
                "direct_effects",
                "efficiency_improved",
                "new_projects"
            ]
        );
    }

    #[test]
    fn valid_questions_parse() {
        let questions = parse_questions(&input(serde_json::json!([
            {"code": "satisfaction", "type": "scale", "label": "How useful?", "scale_min": 1, "scale_max": 5},
            {"code": "topics", "type": "single_choice", "label": "Topic", "options": [{"code": "aeo", "label": "AEO"}], "allow_other": true}
        ])))
        .unwrap();
        assert_eq!(questions.len(), 2);
        assert!(questions[1].offers("other") && questions[1].offers("aeo"));
    }

    #[test]
    fn every_broken_rule_is_named() {
        let error = parse_questions(&input(serde_json::json!([
            {"code": "a", "type": "scale", "label": "x", "scale_min": 5, "scale_max": 1},
            {"code": "a", "type": "text", "label": "y", "options": [{"code": "b", "label": "B"}]},
            {"code": "c", "type": "multiple_choice", "label": "z"},
            {"code": "Bad", "type": "yes_no", "label": " "}
        ])))
        .unwrap_err();
        let fields: Vec<_> = error.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "questions[0].scale_max",
                "questions[1].code",
                "questions[1].options",
                "questions[2].options",
                "questions[3].code",
                "questions[3].label"
            ]
        );
    }
}
