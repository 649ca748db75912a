//! The answering form's fields: what an officer entered, read from the posted form or from
//! the stored answers, turned into answers for the use case; and the field errors of the
//! use case turned into messages at the fields.
//!
//! Field names: `<code>` holds the answer (checkboxes repeat it), `<code>.other` the text of
//! the option `other`, `<code>.comment` the comment. The checkbox "None of these" sends
//! [`NONE_OF_THESE`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::LongTextInput;
use crate::domain::answers::{AnswerFault, AnswerInput, Answers, Fault};
use crate::domain::questionnaire::{Question, QuestionType};

/// The value of the checkbox "None of these": no option code can be it.
pub const NONE_OF_THESE: &str = ":none";

/// What an officer entered for one question, as the form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Entered {
    /// `yes` or `no`, the option chosen, or every box ticked.
    pub chosen: Vec<String>,
    /// A scale's value or the free text, as typed.
    pub text: String,
    /// The text of the option `other`.
    pub other: String,
    pub comment: String,
}

/// Entered values by question code.
pub type Form = BTreeMap<String, Entered>;

/// Which field of a question a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Answer,
    Other,
    Comment,
}

/// Messages by question code and field.
pub type Errors = BTreeMap<(String, Part), String>;

/// The form as posted (`application/x-www-form-urlencoded`); names of no question are
/// left out.
pub fn read(body: &[u8], questions: &[Question]) -> Form {
    let mut form = Form::new();
    let mut no_answer = Vec::new();
    for (name, value) in form_urlencoded::parse(body) {
        let (code, part) = match name.rsplit_once('.') {
            Some((code, "other")) => (code, Part::Other),
            Some((code, "comment")) => (code, Part::Comment),
            _ => (name.as_ref(), Part::Answer),
        };
        let Some(question) = questions.iter().find(|q| q.code == code) else {
            continue;
        };
        let entered = form.entry(question.code.clone()).or_default();
        let value = value.into_owned();
        match (part, question.question_type) {
            (Part::Other, _) => entered.other = value,
            (Part::Comment, _) => entered.comment = value,
            (Part::Answer, QuestionType::Text | QuestionType::Scale) => entered.text = value,
            // "No answer" sends an empty value.
            (Part::Answer, _) if value.is_empty() => no_answer.push(question.code.clone()),
            (Part::Answer, _) => entered.chosen.push(value),
        }
    }
    // "No answer" takes the whole answer back: the text of "Other" left in its field too.
    for code in no_answer {
        if let Some(entered) = form.get_mut(&code).filter(|e| e.chosen.is_empty()) {
            entered.other.clear();
        }
    }
    form
}

/// The form showing stored answers.
pub fn from_answers(answers: &Answers) -> Form {
    answers
        .iter()
        .map(|(code, answer)| {
            let mut chosen = match answer.yes {
                Some(true) => vec!["yes".to_owned()],
                Some(false) => vec!["no".to_owned()],
                None => answer.chosen(),
            };
            if answer.choices.as_ref().is_some_and(Vec::is_empty) {
                chosen.push(NONE_OF_THESE.into());
            }
            let entered = Entered {
                chosen,
                text: answer
                    .value
                    .map(|v| v.to_string())
                    .or_else(|| answer.text.clone())
                    .unwrap_or_default(),
                other: answer.other.clone().unwrap_or_default(),
                comment: answer.comment.clone().unwrap_or_default(),
            };
            (code.clone(), entered)
        })
        .collect()
}

fn long(text: &str) -> Option<LongTextInput> {
    (!text.trim().is_empty()).then(|| LongTextInput(text.to_owned()))
}

/// The answer to one question; `None` when nothing was entered (the question is skipped).
fn input(question: &Question, entered: &Entered) -> Result<Option<AnswerInput>, (Part, String)> {
    let mut input = AnswerInput {
        other: long(&entered.other),
        comment: long(&entered.comment),
        ..AnswerInput::default()
    };
    let first = entered.chosen.first().cloned();
    match question.question_type {
        QuestionType::YesNo => {
            input.yes = match first.as_deref() {
                Some("yes") => Some(true),
                Some("no") => Some(false),
                None => None,
                Some(_) => return Err((Part::Answer, "Select yes or no".into())),
            }
        }
        QuestionType::SingleChoice => input.choice = first,
        QuestionType::MultipleChoice => {
            let none = entered.chosen.iter().any(|c| c == NONE_OF_THESE);
            if none && entered.chosen.len() > 1 {
                return Err((
                    Part::Answer,
                    "Select the actions taken, or \u{201c}None of these\u{201d}, not both".into(),
                ));
            }
            input.choices = match (none, entered.chosen.is_empty()) {
                (true, _) => Some(Vec::new()),
                (false, true) => None,
                (false, false) => Some(entered.chosen.clone()),
            };
        }
        QuestionType::Scale if entered.text.trim().is_empty() => {}
        QuestionType::Scale => match entered.text.trim().parse() {
            Ok(value) => input.value = Some(value),
            Err(_) => return Err((Part::Answer, "Enter a whole number".into())),
        },
        QuestionType::Text => input.text = long(&entered.text),
    }
    let answered = input.yes.is_some()
        || input.choice.is_some()
        || input.choices.is_some()
        || input.value.is_some()
        || input.text.is_some()
        || input.other.is_some()
        || input.comment.is_some();
    Ok(answered.then_some(input))
}

/// The answers the form gives, or the fields it cannot give them from.
pub fn answers(
    form: &Form,
    questions: &[Question],
) -> Result<BTreeMap<String, AnswerInput>, Errors> {
    let mut inputs = BTreeMap::new();
    let mut errors = Errors::new();
    for question in questions {
        let Some(entered) = form.get(&question.code) else {
            continue;
        };
        match input(question, entered) {
            Ok(Some(input)) => {
                inputs.insert(question.code.clone(), input);
            }
            Ok(None) => {}
            Err((part, message)) => {
                errors.insert((question.code.clone(), part), message);
            }
        }
    }
    if errors.is_empty() {
        Ok(inputs)
    } else {
        Err(errors)
    }
}

/// The faults of the answers at the form's fields, in words for the officer.
pub fn errors(faults: &[AnswerFault], questions: &[Question]) -> Errors {
    let mut errors = Errors::new();
    for fault in faults {
        let Some(question) = questions.iter().find(|q| q.code == fault.code) else {
            continue;
        };
        let part = match fault.member {
            "other" => Part::Other,
            "comment" => Part::Comment,
            _ => Part::Answer,
        };
        errors
            .entry((fault.code.clone(), part))
            .or_insert_with(|| in_words(question, &fault.fault));
    }
    errors
}

/// A message a person can act on.
fn in_words(question: &Question, fault: &Fault) -> String {
    match fault {
        Fault::NoAnswer => match question.question_type {
            QuestionType::YesNo => "Select yes or no, or clear the comment".into(),
            QuestionType::Scale => "Choose a value, or clear the comment".into(),
            _ => "Answer this question, or clear what you wrote beside it".into(),
        },
        Fault::OtherNotDescribed => "Describe the other answer you selected".into(),
        Fault::OtherWithoutChoice => format!(
            "Select \u{201c}{}\u{201d} to describe another answer, or clear this field",
            other_label(question)
        ),
        Fault::OutOfRange { min, max } => format!("Choose a value between {min} and {max}"),
        other => {
            let message = other.to_string();
            let mut chars = message.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => "Check this answer".into(),
            }
        }
    }
}

/// How the form names the option `other`.
pub fn other_label(question: &Question) -> &'static str {
    if question.question_type == QuestionType::MultipleChoice {
        "Other action"
    } else {
        "Other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::questionnaire::default_questions;

    fn posted(body: &str) -> Result<BTreeMap<String, AnswerInput>, Errors> {
        let questions = default_questions();
        answers(&read(body.as_bytes(), &questions), &questions)
    }

    #[test]
    fn a_posted_form_gives_the_answers_of_every_question_type() {
        let inputs = posted(
            "follow_up_actions=share_materials&follow_up_actions=other\
             &follow_up_actions.other=Briefed+the+director&lessons_applied=Applied+it\
             &direct_effects=yes&direct_effects.comment=Faster&efficiency_improved=no",
        )
        .unwrap();
        assert_eq!(
            inputs["follow_up_actions"].choices.as_deref(),
            Some(&["share_materials".to_owned(), "other".to_owned()][..])
        );
        assert_eq!(inputs["direct_effects"].yes, Some(true));
        assert_eq!(inputs["efficiency_improved"].yes, Some(false));
        assert!(!inputs.contains_key("new_projects"), "left blank: skipped");
    }

    #[test]
    fn no_answer_takes_back_the_choice_and_the_text_of_other() {
        let mut topic = default_questions().remove(0);
        topic.code = "topic".into();
        topic.question_type = QuestionType::SingleChoice;
        let questions = vec![topic];
        let read = |body: &str| read(body.as_bytes(), &questions);
        let cleared = read("topic=&topic.other=Left+over");
        assert_eq!(cleared["topic"], Entered::default());
        assert!(answers(&cleared, &questions).unwrap().is_empty());
        // The text of "Other" stays with "Other" picked.
        let other = read("topic=other&topic.other=Risk");
        assert_eq!(other["topic"].other, "Risk");
    }

    #[test]
    fn none_of_these_is_an_answer_with_no_option_and_excludes_the_options() {
        let inputs = posted("follow_up_actions=%3Anone").unwrap();
        assert_eq!(
            inputs["follow_up_actions"].choices.as_deref(),
            Some(&[][..])
        );
        let errors =
            posted("follow_up_actions=%3Anone&follow_up_actions=submit_report").unwrap_err();
        assert!(errors.contains_key(&("follow_up_actions".to_owned(), Part::Answer)));
    }

    #[test]
    fn stored_answers_fill_the_form_back() {
        let questions = default_questions();
        let form = read(b"follow_up_actions=%3Anone&direct_effects=no", &questions);
        let inputs = answers(&form, &questions).unwrap();
        let stored = crate::domain::answers::validate(&questions, &inputs).unwrap();
        assert_eq!(from_answers(&stored), form);
    }
}
