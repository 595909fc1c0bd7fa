//! Run a fake on a random local port.

use crate::faults::{self, Faults};
use axum::Router;
use std::net::SocketAddr;

/// A running fake; stops when dropped.
pub struct FakeServer {
    pub addr: SocketAddr,
    pub faults: Faults,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    /// Serve `router` on 127.0.0.1 with the fault middleware in front of it.
    pub async fn start(router: Router) -> std::io::Result<FakeServer> {
        let faults = Faults::default();
        let app = router.layer(axum::middleware::from_fn_with_state(faults.clone(), faults::apply));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeServer { addr, faults, task })
    }

    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
