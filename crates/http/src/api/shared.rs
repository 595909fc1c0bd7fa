//! What several API features share: the page query and the list envelope of cursor
//! pagination, and the `null` that clears a field in a PATCH body. (The error body is
//! `crate::error::ErrorBody`.)

use crate::error::ApiError;
use sellcast_domain::pagination::Page;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

pub fn page(limit: Option<i64>, cursor: Option<&str>) -> Result<Page, ApiError> {
    Page::parse(limit, cursor).map_err(|(field, msg)| ApiError::field(field, &msg))
}

macro_rules! list_of {
    ($name:ident, $item:ty) => {
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; null on the last page.
            pub next_cursor: Option<String>,
        }

        impl $name {
            pub fn new<R>((rows, next_cursor): (Vec<R>, Option<String>)) -> Self
            where
                $item: From<R>,
            {
                $name { items: rows.into_iter().map(<$item>::from).collect(), next_cursor }
            }
        }
    };
}
pub(crate) use list_of;

/// Distinguish "absent" (leave as is) from `null` (clear) in a PATCH body.
pub fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    <Option<String> as serde::Deserialize>::deserialize(d).map(Some)
}
