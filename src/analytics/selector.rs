//! The actions a cross-tabulation counts, as requests name them.

/// What a cross-tabulation counts as an action: an option of a choice question
/// (`question:option`), or a yes to a yes/no question (`question`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub question: String,
    pub option: Option<String>,
}

impl Selector {
    pub fn parse(text: &str) -> Self {
        match text.split_once(':') {
            Some((question, option)) => Self {
                question: question.to_owned(),
                option: Some(option.to_owned()),
            },
            None => Self {
                question: text.to_owned(),
                option: None,
            },
        }
    }

    pub fn text(&self) -> String {
        match &self.option {
            Some(option) => format!("{}:{option}", self.question),
            None => self.question.clone(),
        }
    }
}
