//! Typing indicators between teammates viewing one conversation: ephemeral (never stored),
//! passed between the WebSockets of this process.

use tokio::sync::broadcast;

/// A teammate started or stopped typing in a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typing {
    pub org_id: String,
    pub conversation_id: String,
    pub user_id: String,
    pub typing: bool,
}

/// Fan-out of typing indicators to this process's sockets; each keeps what concerns it.
#[derive(Clone)]
pub struct TypingHub {
    tx: broadcast::Sender<Typing>,
}

impl Default for TypingHub {
    fn default() -> Self {
        // Indicators are only worth having fresh: a slow socket skips the ones it missed.
        TypingHub { tx: broadcast::channel(1024).0 }
    }
}

impl TypingHub {
    pub fn publish(&self, t: Typing) {
        // No socket listening is not an error.
        let _ = self.tx.send(t);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Typing> {
        self.tx.subscribe()
    }
}
