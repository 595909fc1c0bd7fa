//! Which of Meta's networks a post, container, comment or message belongs to.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    Facebook,
    Instagram,
    Threads,
}
