//! Every error answer of the server is JSON `{"error": "..."}` with a status that says whose
//! fault it is: 400 a bad parameter (named), 503 an engine that cannot be reached or a server
//! that is full, 502 an engine that answered an error, 504 too slow, 413 too large.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::params::BadParam;
use crate::error::Error;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// Whether the engine failed (for the engine error count).
    pub fn is_engine(&self) -> bool {
        matches!(
            self.status,
            StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": self.message}))).into_response()
    }
}

impl From<BadParam> for ApiError {
    fn from(e: BadParam) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

impl From<Error> for ApiError {
    /// The library's errors already redact URLs.
    fn from(e: Error) -> ApiError {
        let status = match &e {
            // a node down: some shards did not answer, and a partial ranking is not served
            Error::Unreachable { .. } | Error::PartialResults { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Error::Engine { status, .. } if crate::error::is_transient_status(*status) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            // The engine refused this query (a filter on a field that cannot take it, ...).
            Error::Engine { status: 400, .. } => StatusCode::BAD_REQUEST,
            Error::Engine { .. } | Error::BadAnswer { .. } => StatusCode::BAD_GATEWAY,
            Error::Config { .. } | Error::Dimension { .. } => StatusCode::BAD_REQUEST,
            // every embedding worker stayed busy past --worker-wait-ms
            Error::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let prefix = match status {
            StatusCode::SERVICE_UNAVAILABLE if matches!(e, Error::Busy { .. }) => "server busy: ",
            StatusCode::SERVICE_UNAVAILABLE => "engine unavailable: ",
            StatusCode::BAD_GATEWAY => "engine error: ",
            StatusCode::BAD_REQUEST if matches!(e, Error::Engine { .. }) => {
                "the engine refused the query (check filter): "
            }
            _ => "",
        };
        ApiError::new(status, format!("{prefix}{}", crate::error::chain(&e)))
    }
}

/// The answer to a request the tower layers turned away (full, or over the time limit).
pub fn layer_error(err: tower::BoxError, timeout: std::time::Duration, max: usize) -> ApiError {
    if err.is::<tower::load_shed::error::Overloaded>() {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "server busy: {max} requests already in flight (--max-concurrent); retry later"
            ),
        )
    } else if err.is::<tower::timeout::error::Elapsed>() {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "the request took longer than {} s (--request-timeout)",
                timeout.as_secs_f64()
            ),
        )
    } else {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, err.to_string())
    }
}

/// Turns the plain-text error answers of axum and tower-http (405, 413, a body that is not
/// JSON...) into `{"error": ...}`; JSON and non-error answers pass unchanged.
pub async fn json_errors(max_body: usize, resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("request body larger than {max_body} bytes (--max-body-bytes)")
        }
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this path".to_owned(),
        _ => {
            let body = axum::body::to_bytes(resp.into_body(), 64 * 1024)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&body).trim().to_owned();
            return ApiError::new(
                status,
                if text.is_empty() {
                    status.to_string()
                } else {
                    text
                },
            )
            .into_response();
        }
    };
    ApiError::new(status, message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_map_to_gateway_statuses() {
        let down = Error::Unreachable {
            url: "http://127.0.0.1:9".into(),
            message: "connection refused".into(),
        };
        let e = ApiError::from(down);
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            e.message,
            "engine unavailable: cannot reach http://127.0.0.1:9: connection refused"
        );
        let missing = Error::Engine {
            url: "u".into(),
            status: 404,
            reason: "no such index".into(),
        };
        assert_eq!(ApiError::from(missing).status, StatusCode::BAD_GATEWAY);
        let busy = Error::Engine {
            url: "u".into(),
            status: 429,
            reason: "busy".into(),
        };
        assert!(ApiError::from(busy).is_engine());
    }
}
