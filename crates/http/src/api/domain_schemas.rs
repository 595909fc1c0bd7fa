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
    Whatsapp,
}

/// Declare the schema of a text enum of the domain under its own name.
macro_rules! text_enum_schema {
    ($schema:ident, $name:ident, [$($variant:ident),+]) => {
        #[derive(ToSchema)]
        #[schema(as = $name, rename_all = "snake_case")]
        #[allow(dead_code)] // Only its schema is used.
        pub enum $schema { $($variant),+ }
    };
}

text_enum_schema!(ConversationKindSchema, ConversationKind, [Direct, Comment, Mention]);
text_enum_schema!(ConversationStatusSchema, ConversationStatus, [Open, Pending, Snoozed, Resolved]);
text_enum_schema!(ConversationPrioritySchema, ConversationPriority, [None, Low, Medium, High, Urgent]);
text_enum_schema!(DeliveryStateSchema, DeliveryState, [Queued, Sent, Delivered, Read, Failed]);
text_enum_schema!(MessageDirectionSchema, MessageDirection, [Inbound, Outbound]);
text_enum_schema!(InboundStateSchema, InboundState, [Pending, Processed, Dead]);

#[cfg(test)]
mod tests {
    use super::*;
    use sellcast_domain::{
        ConversationKind, ConversationPriority, ConversationStatus, DeliveryState, InboundState, MessageDirection,
        Platform, Role,
    };
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
        let names = |all: &[&str]| all.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let of = |v: Vec<&'static str>| names(&v);
        assert_eq!(
            values(ConversationKindSchema::schema()),
            of(ConversationKind::ALL.iter().map(|v| v.as_str()).collect())
        );
        assert_eq!(
            values(ConversationStatusSchema::schema()),
            of(ConversationStatus::ALL.iter().map(|v| v.as_str()).collect())
        );
        assert_eq!(
            values(ConversationPrioritySchema::schema()),
            of(ConversationPriority::ALL.iter().map(|v| v.as_str()).collect())
        );
        assert_eq!(values(DeliveryStateSchema::schema()), of(DeliveryState::ALL.iter().map(|v| v.as_str()).collect()));
        assert_eq!(
            values(MessageDirectionSchema::schema()),
            of(MessageDirection::ALL.iter().map(|v| v.as_str()).collect())
        );
        assert_eq!(values(InboundStateSchema::schema()), of(InboundState::ALL.iter().map(|v| v.as_str()).collect()));
    }

    #[test]
    fn schemas_keep_the_domains_names() {
        assert_eq!(RoleSchema::name(), "Role");
        assert_eq!(PlatformSchema::name(), "Platform");
    }
}
