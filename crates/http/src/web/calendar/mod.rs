//! The calendar: the month and week views (`page`) and rescheduling a post from them
//! (`reschedule`: drag and drop, the keyboard, or the form without JavaScript).

mod page;
pub mod reschedule;

use crate::state::AppState;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{org_id}/calendar", get(page::show))
        .route("/o/{org_id}/calendar/move", get(reschedule::form).post(reschedule::submit))
}
