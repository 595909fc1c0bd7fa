//! What the inbox's forms bring back when the server refuses them: the reply as typed, the
//! sandbox form, the snooze time, and the errors, parsed from the posted fields.

use crate::web::ui::Errors;
use sellcast_app::inbox::{ReplyInput, TemplateInput};
use serde::Deserialize;

/// What a refused form brings back to the page: what was typed, and what is wrong with it.
#[derive(Default)]
pub struct FormState {
    pub draft: Draft,
    pub sandbox: SandboxForm,
    /// The snooze time as typed.
    pub snooze: Option<String>,
    pub errors: Errors,
    /// A reply error that belongs to no field.
    pub general: Option<String>,
}

/// The reply as typed, kept when the server refuses it.
#[derive(Debug, Default, Clone)]
pub struct Draft {
    pub text: String,
    pub private: bool,
    pub template_name: String,
    pub template_language: String,
    pub params: Vec<String>,
    pub key: String,
    /// The form sent a template rather than text.
    pub is_template: bool,
}

impl Draft {
    /// From the form's pairs (`param` repeats).
    pub fn from_pairs(pairs: &[(String, String)]) -> Draft {
        let mut d = Draft::default();
        for (k, v) in pairs {
            match k.as_str() {
                "text" => d.text = v.clone(),
                "private" => d.private = !v.is_empty(),
                "template_name" => {
                    d.is_template = true;
                    d.template_name = v.clone();
                }
                "template_language" => d.template_language = v.clone(),
                "param" => d.params.push(v.clone()),
                "idempotency_key" => d.key = v.clone(),
                _ => {}
            }
        }
        d
    }

    pub fn to_input(&self) -> ReplyInput {
        let template = self.is_template.then(|| {
            let mut parameters: Vec<String> = self.params.iter().map(|p| p.trim().to_string()).collect();
            // Empty fields at the end are the unused ones the form offers.
            while parameters.last().is_some_and(String::is_empty) {
                parameters.pop();
            }
            TemplateInput { name: self.template_name.clone(), language: self.template_language.clone(), parameters }
        });
        ReplyInput {
            text: (!self.is_template).then(|| self.text.clone()),
            template,
            private: self.private,
            idempotency_key: Some(self.key.clone()).filter(|k| !k.is_empty()),
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SandboxForm {
    pub channel_id: String,
    pub kind: String,
    pub from_name: String,
    pub from_username: String,
    pub text: String,
    pub post_id: String,
    pub back: String,
    /// The conversation open beside the form, to keep it open.
    pub c: String,
}
