//! What the fake remembers of the WhatsApp Cloud API: the account, its phone numbers,
//! templates, media, customer windows and sends.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// A template of the WhatsApp Business Account.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeTemplate {
    pub id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    /// APPROVED, PENDING, REJECTED…
    pub status: String,
    pub components: Value,
}

/// A message the fake accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsAppSent {
    pub id: String,
    pub phone_number_id: String,
    /// The recipient's `wa_id` (digits only).
    pub to: String,
    /// `text`, `image`, `template`…
    pub kind: String,
    /// The text body or the media caption.
    pub body: Option<String>,
    /// Name and language code.
    pub template: Option<(String, String)>,
    pub reply_to: Option<String>,
    pub request: Value,
}

pub(crate) struct PhoneNumber {
    pub id: String,
    pub waba_id: String,
    pub display: String,
    pub verified_name: String,
}

pub(crate) struct Media {
    pub bytes: Vec<u8>,
    pub mime: String,
    pub sha256: String,
}

#[derive(Default)]
pub(crate) struct WhatsAppWorld {
    /// System-user tokens that can use the account.
    pub tokens: HashSet<String>,
    pub phone_numbers: Vec<PhoneNumber>,
    pub templates: HashMap<String, Vec<FakeTemplate>>,
    pub media: HashMap<String, Media>,
    /// (phone number id, wa_id) → when the customer last wrote.
    pub last_customer_message: HashMap<(String, String), DateTime<Utc>>,
    pub sent: Vec<WhatsAppSent>,
    /// Sends still accepted before 130429 (None: no limit).
    pub send_budget: Option<u32>,
    /// Where and with which app secret to deliver sent/delivered/read for each accepted send.
    pub auto_statuses: Option<(String, String)>,
}

impl WhatsAppWorld {
    pub fn phone(&self, id: &str) -> Option<&PhoneNumber> {
        self.phone_numbers.iter().find(|p| p.id == id)
    }

    pub fn is_waba(&self, id: &str) -> bool {
        self.phone_numbers.iter().any(|p| p.waba_id == id)
    }
}
