//! The document's `webhooks` section (OpenAPI 3.1): for each event type, the request an
//! endpoint receives: the signed headers of the Standard Webhooks scheme and the JSON body
//! `{type, timestamp, data}`, its `data` described by the type the event is written from
//! (`crate::webhooks::payloads`).

use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem, PathsBuilder,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, Required, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

use crate::webhooks::EventType;
use crate::webhooks::payloads::{
    HandoverEvent, MailingFailedEvent, MailingReturnedEvent, ReplyEvent, RoundEvent,
};

/// What an endpoint is told of each event, and the schema of its `data`.
fn described(event: EventType) -> (&'static str, &'static str) {
    match event {
        EventType::ReplySubmitted => (
            "A reply's first submission (by link or by staff; imported history sends none).",
            ReplyEvent::name_static(),
        ),
        EventType::ReplyRevised => ("A later revision of a reply.", ReplyEvent::name_static()),
        EventType::RoundOpened => (
            "A round opened (by staff, or when its first workshop's survey opened).",
            RoundEvent::name_static(),
        ),
        EventType::RoundClosed => (
            "A round closed: its replies are final.",
            RoundEvent::name_static(),
        ),
        EventType::MailingFailed => (
            "A mail could not be delivered for good. Partner endpoints get no `error`.",
            MailingFailedEvent::name_static(),
        ),
        EventType::MailingBounced => (
            "A mail came back: the address is undeliverable, soft-bounced, or the officer \
             complained. Partner endpoints get no `detail`.",
            MailingReturnedEvent::name_static(),
        ),
        EventType::MailingBlocked => (
            "A mail was refused by the destination's policy (5.7.x): the sender's setup fails \
             for that domain. Partner endpoints get no `detail`.",
            MailingReturnedEvent::name_static(),
        ),
        EventType::MailingAutoReplied => (
            "An automatic reply came back to a mail. Partner endpoints get no `detail`.",
            MailingReturnedEvent::name_static(),
        ),
        EventType::HandoverAccepted => (
            "Staff accepted an officer's \"not for me\": the colleague named has the invitation.",
            HandoverEvent::name_static(),
        ),
        EventType::HandoverRejected => (
            "Staff rejected an officer's \"not for me\".",
            HandoverEvent::name_static(),
        ),
    }
}

trait StaticName {
    fn name_static() -> &'static str;
}

impl<T: ToSchema> StaticName for T {
    fn name_static() -> &'static str {
        match T::name() {
            std::borrow::Cow::Borrowed(name) => name,
            std::borrow::Cow::Owned(name) => Box::leak(name.into_boxed_str()),
        }
    }
}

const HEADERS: [(&str, &str); 3] = [
    (
        "webhook-id",
        "The event's id, the same on every retry: deduplicate by it.",
    ),
    (
        "webhook-timestamp",
        "Seconds since the Unix epoch when the request was signed.",
    ),
    (
        "webhook-signature",
        "`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>` with the \
         endpoint's secret (Standard Webhooks); several, space-separated, while a secret is \
         rotated.",
    ),
];

/// Adds the payload schemas and one webhook per event type.
pub fn describe(api: &mut Document) {
    let components = api.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        (ReplyEvent::name(), ReplyEvent::schema()),
        (RoundEvent::name(), RoundEvent::schema()),
        (MailingFailedEvent::name(), MailingFailedEvent::schema()),
        (MailingReturnedEvent::name(), MailingReturnedEvent::schema()),
        (HandoverEvent::name(), HandoverEvent::schema()),
    ] {
        components.schemas.insert(name.into_owned(), schema);
    }
    let mut webhooks = PathsBuilder::new();
    for event in EventType::ALL {
        let (description, data) = described(event);
        let body = ObjectBuilder::new()
            .title(Some(format!("{} event", event.as_str())))
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([event.as_str()])),
            )
            .required("type")
            .property(
                "timestamp",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                    .description(Some("When the event happened")),
            )
            .required("timestamp")
            .property("data", Ref::from_schema_name(data))
            .required("data")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        let mut operation = OperationBuilder::new()
            .operation_id(Some(event.as_str().replace('.', "_")))
            .summary(Some(description))
            .tag("webhooks")
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(body)).build(),
                    )
                    .build(),
            ))
            .response(
                "2XX",
                ResponseBuilder::new().description(
                    "Received; any other answer, or none within the timeout, is retried with \
                     backoff",
                ),
            );
        for (name, description) in HEADERS {
            operation = operation.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Header)
                    .required(Required::True)
                    .description(Some(description))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
            );
        }
        let mut operation = operation.build();
        // The endpoint checks the signature, not one of this service's schemes.
        operation.security = Some(Vec::new());
        webhooks = webhooks.path(event.as_str(), PathItem::new(HttpMethod::Post, operation));
    }
    api.webhooks = Some(webhooks.build());
}
