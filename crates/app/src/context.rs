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

impl Actor {
    /// A user acting outside an authenticated request (sign-up, sign-in, reset, CLI): what
    /// the audit log needs, no session, no instance-admin rights.
    pub fn of(user_id: &str, meta: &RequestMeta) -> Actor {
        Actor { user_id: user_id.to_string(), session_id: None, is_instance_admin: false, meta: meta.clone() }
    }
}
