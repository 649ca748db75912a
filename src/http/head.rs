//! `HEAD` on every `GET` route (RFC 9110, section 9.3.2): the request is routed, checked
//! and answered as the `GET` it asks about, and the connection sends the status and the
//! headers (`Content-Length` included) without the body. Mail security gateways and link
//! checkers send `HEAD` to the links in a mail before a person opens them; the answering
//! page answers them as it answers the person (a `GET` changes nothing either).

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;

/// Routes a `HEAD` request as a `GET`. actix-http remembers the method it read off the
/// wire, so the response still goes out without its body. The answer is that of a `GET`
/// without `Accept-Encoding`: nothing is compressed only to be dropped, and
/// `Content-Length` gives the body's length.
pub async fn as_get(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if request.method() == Method::HEAD {
        let head = request.head_mut();
        head.method = Method::GET;
        head.headers_mut().remove(header::ACCEPT_ENCODING);
    }
    next.call(request).await
}
