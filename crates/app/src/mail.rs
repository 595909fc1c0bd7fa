//! Email: every message is written to the outbox in the caller's transaction, then a sender
//! delivers it over SMTP when one is configured. Without SMTP the outbox is where a
//! self-hoster reads reset links and invites (`sellcast admin outbox`).

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sellcast_domain::ids;
use sellcast_store::outbox::{self, EmailRow};
use sellcast_store::{Conn, Db};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

const MAX_ATTEMPTS: i32 = 8;

#[derive(Clone)]
pub struct Mailer {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    wake: Arc<Notify>,
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
        Ok(Mailer { smtp, from, wake: Arc::new(Notify::new()) })
    }

    pub fn smtp_configured(&self) -> bool {
        self.smtp.is_some()
    }

    /// Put a message in the outbox (inside the caller's transaction). Call `wake` after commit.
    pub async fn queue(&self, c: Conn<'_>, to: &str, subject: &str, body: &str, now: DateTime<Utc>) -> AppResult<()> {
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
        outbox::insert(c, &row).await?;
        Ok(())
    }

    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Send what is waiting; returns how many went out.
    pub async fn deliver_pending(&self, db: &Db, clock: &Clock) -> AppResult<usize> {
        let Some(smtp) = &self.smtp else { return Ok(0) };
        let pending = {
            let mut c = db.read().await?;
            outbox::unsent(c.conn(), MAX_ATTEMPTS, 50).await?
        };
        let mut sent = 0;
        for mail in pending {
            let result = match self.build(&mail) {
                Ok(msg) => smtp.send(msg).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            let mut tx = db.begin().await?;
            match result {
                Ok(()) => {
                    outbox::mark_sent(tx.conn(), &mail.id, clock.now()).await?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(email_id = %mail.id, error = %e, "email delivery failed");
                    outbox::mark_failed(tx.conn(), &mail.id, &e).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(sent)
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

    /// Deliver whenever woken, and every 30 s for retries, until `shutdown` fires.
    pub fn spawn_sender(&self, db: Db, clock: Clock, shutdown: Arc<Notify>) -> tokio::task::JoinHandle<()> {
        let mailer = self.clone();
        tokio::spawn(async move {
            if !mailer.smtp_configured() {
                return;
            }
            loop {
                if let Err(e) = mailer.deliver_pending(&db, &clock).await {
                    tracing::warn!(error = %e, "outbox delivery pass failed");
                }
                tokio::select! {
                    _ = mailer.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                    _ = shutdown.notified() => return,
                }
            }
        })
    }
}
