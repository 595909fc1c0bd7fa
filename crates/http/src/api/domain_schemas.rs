//! The OpenAPI schemas of the domain's enums that the API shows (`Role`, `Platform`). The
//! domain knows nothing of HTTP, so their shape is declared here, under the same names, and a
//! test holds each to the domain's own list. DTO fields point at them with
//! `#[schema(value_type = …)]`.

use utoipa::ToSchema;

// The schema of `sellcast_domain::Role` (a plain comment: a doc comment would become its description).
#[derive(ToSchema)]
#[schema(as = Role, rename_all = "snake_case")]
#[allow(dead_code)] // Only its schema is used.
pub enum RoleSchema {
    Owner,
    Admin,
    Manager,
    Editor,
    Viewer,
}

// The schema of `sellcast_domain::Platform` (a plain comment: a doc comment would become its description).
#[derive(ToSchema)]
#[schema(as = Platform, rename_all = "snake_case")]
#[allow(dead_code)] // Only its schema is used.
pub enum PlatformSchema {
    Sandbox,
    Bluesky,
    Mastodon,
    X,
    Linkedin,
    Facebook,
    Instagram,
    Threads,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sellcast_domain::{Platform, Role};
    use utoipa::openapi::schema::Schema;
    use utoipa::openapi::RefOr;
    use utoipa::PartialSchema;

    /// The values an enum schema allows, in order.
    fn values(schema: RefOr<Schema>) -> Vec<String> {
        let RefOr::T(Schema::Object(object)) = schema else { panic!("an inline string enum") };
        object.enum_values.unwrap_or_default().iter().filter_map(|v| v.as_str().map(String::from)).collect()
    }

    #[test]
    fn schemas_list_the_domains_values() {
        assert_eq!(values(RoleSchema::schema()), Role::ALL.map(|r| r.as_str().to_string()));
        assert_eq!(values(PlatformSchema::schema()), Platform::ALL.map(|p| p.as_str().to_string()));
    }

    #[test]
    fn schemas_keep_the_domains_names() {
        assert_eq!(RoleSchema::name(), "Role");
        assert_eq!(PlatformSchema::name(), "Platform");
    }
}
