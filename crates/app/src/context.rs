//! Who is asking and from where: carried into every use case for permission checks and the
//! audit log.

#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// An authenticated user making a request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: String,
    pub session_id: Option<String>,
    pub is_instance_admin: bool,
    pub meta: RequestMeta,
}
