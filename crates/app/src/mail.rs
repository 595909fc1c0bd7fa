//! Email: every message is written to the outbox in the caller's transaction, and, when SMTP
//! is configured, an `email.deliver` job is enqueued in that same transaction, so a mail is
//! never lost and never sent for a change that rolled back. Without SMTP the outbox is where
//! a self-hoster reads reset links and invites (`sellcast admin outbox`).

use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sellcast_domain::ids;
use sellcast_queue::{ops as jobs, JobArgs, NewJob, Outcome};
use sellcast_store::outbox::{self, EmailRow};
use sellcast_store::{Conn, Db};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The job that sends one outbox message.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeliverEmail {
    pub email_id: String,
}

impl JobArgs for DeliverEmail {
    const KIND: &'static str = "email.deliver";
    const QUEUE: &'static str = "email";
    const MAX_ATTEMPTS: i32 = 10;
}

#[derive(Clone)]
pub struct Mailer {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, from: &str) -> AppResult<Mailer> {
        let smtp = match smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|_| AppError::internal("invalid SMTP URL"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => None,
        };
        let from = from.parse::<Mailbox>().map_err(AppError::internal)?;
        Ok(Mailer { smtp, from })
    }

    pub fn smtp_configured(&self) -> bool {
        self.smtp.is_some()
    }

    /// Put a message in the outbox, and its delivery job in the queue, inside the caller's
    /// transaction.
    pub async fn queue(
        &self,
        mut c: Conn<'_>,
        to: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let row = EmailRow {
            id: ids::new_id(),
            to_address: to.to_string(),
            subject: subject.to_string(),
            body_text: body.to_string(),
            created_at: now,
            sent_at: None,
            attempts: 0,
            last_error: None,
        };
        outbox::insert(c.re(), &row).await?;
        if self.smtp_configured() {
            let job = NewJob::of(&DeliverEmail { email_id: row.id.clone() }).unique_key(format!("email:{}", row.id));
            jobs::enqueue(c, &job, now).await?;
        }
        Ok(())
    }

    /// Send one outbox message (the `email.deliver` handler).
    pub async fn deliver(&self, db: &Db, email_id: &str, now: DateTime<Utc>) -> Outcome {
        let Some(smtp) = &self.smtp else {
            return Outcome::Cancel("SMTP is not configured; the message stays in the outbox".into());
        };
        let mail = async {
            let mut c = db.read().await?;
            outbox::by_id(c.conn(), email_id).await
        };
        let mail = match mail.await {
            Ok(Some(m)) if m.sent_at.is_none() => m,
            Ok(Some(_)) => return Outcome::Done, // already sent by an earlier attempt
            Ok(None) => return Outcome::Discard(format!("outbox message {email_id} no longer exists")),
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        let sent = match self.build(&mail) {
            Ok(msg) => smtp.send(msg).await.map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => return Outcome::Discard(e),
        };
        let record = async {
            let mut tx = db.begin().await?;
            match &sent {
                Ok(()) => outbox::mark_sent(tx.conn(), &mail.id, now).await?,
                Err(e) => outbox::mark_failed(tx.conn(), &mail.id, e).await?,
            }
            tx.commit().await
        };
        if let Err(e) = record.await {
            tracing::warn!(email_id = %mail.id, error = %e, "recording an email delivery failed");
        }
        match sent {
            Ok(()) => Outcome::Done,
            Err(e) => {
                tracing::warn!(email_id = %mail.id, error = %e, "email delivery failed");
                Outcome::Retry(e)
            }
        }
    }

    fn build(&self, mail: &EmailRow) -> Result<Message, String> {
        let to = mail.to_address.parse::<Mailbox>().map_err(|e| e.to_string())?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body_text.clone())
            .map_err(|e| e.to_string())
    }
}
