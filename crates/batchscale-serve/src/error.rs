//! The Batch errors of emulator.md section 4, as values the pipeline returns; rendered
//! as the error body of 3.7 by `http.rs`.

/// One row of section 4: status, code, message and `values` (`key`/`value` pairs).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `code`; empty for the bodiless 304 and HEAD 404.
    pub code: String,
    /// The message of section 4 (the `RequestId`/`Time` suffix is added when rendered).
    pub message: String,
    /// `values` as (key, value).
    pub values: Vec<(String, String)>,
    /// The `Allow` header of a 405.
    pub allow: Option<String>,
    /// No body at all (HEAD, 304).
    pub bodiless: bool,
}

/// Shorthand for building `values`.
fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The messages of section 4, one per code.
pub mod msg {
    #![allow(missing_docs)]
    pub const NOT_IMPLEMENTED: &str = "batchscale serve does not implement this operation";
    pub const VERB: &str = "The resource doesn't support the specified HTTP verb.";
    pub const MISSING_HEADER: &str =
        "An HTTP header that's mandatory for this request is not specified.";
    pub const AUTH_INFO: &str = "The authentication information was not provided in the correct format. Verify the value of Authorization header.";
    pub const AUTH_FAILED: &str = "Server failed to authenticate the request. Verify that the value of Authorization header is formed correctly including the signature.";
    pub const MISSING_QUERY: &str =
        "A query parameter that's mandatory for this request is not specified.";
    pub const VERSION: &str = "The specified request version is not supported.";
    pub const UNSUPPORTED_QUERY: &str =
        "One of the query parameters specified in the request URI is not supported.";
    pub const QUERY_VALUE: &str =
        "Value for one of the query parameters specified in the request URI is invalid.";
    pub const QUERY_RANGE: &str =
        "The query parameter value specified in the request URI is outside the permissible range.";
    pub const HEADER_VALUE: &str =
        "The value for one of the HTTP headers is not in the correct format.";
    pub const MULTIPLE_CONDITIONS: &str = "Multiple condition headers are not supported.";
    pub const TOO_LARGE: &str =
        "The request body is too large and exceeds the maximum permissible limit.";
    pub const BODY: &str = "The specified Request Body is not syntactically valid.";
    pub const MISSING_PROPERTY: &str = "A required property was not specified in the request body.";
    pub const UNSUPPORTED_PROPERTY: &str =
        "One of the properties specified in the request body is not supported.";
    pub const PROPERTY_VALUE: &str =
        "The value provided for one of the properties in the request body is invalid.";
    pub const AUTOSCALE_SETTINGS: &str = "The specified auto-scaling settings are not valid.";
    pub const POOL_NOT_FOUND: &str = "The specified pool does not exist.";
    pub const NODE_NOT_FOUND: &str = "The specified node does not exist.";
    pub const POOL_EXISTS: &str = "The specified pool already exists.";
    pub const BEING_DELETED: &str =
        "The specified pool has been marked for deletion and is being reclaimed.";
    pub const INVALID_STATE: &str =
        "The specified operation is not valid for the current state of the resource.";
    pub const BEING_RESIZED: &str = "The specified pool is being resized.";
    pub const TOO_MANY_ENABLES: &str =
        "Too many Enable Pool AutoScale requests are issued on the pool.";
    pub const WRITE_CONDITION: &str =
        "The condition specified in the conditional header(s) was not met for a write operation.";
    pub const READ_CONDITION: &str =
        "The condition specified in the conditional header(s) was not met for a read operation.";
    pub const INTERNAL: &str =
        "The server encountered an internal error. Please retry the request.";
}

impl ApiError {
    /// A row: status, code, message, values.
    pub fn new(status: u16, code: &str, message: &str, values: Vec<(String, String)>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.to_string(),
            values,
            allow: None,
            bodiless: false,
        }
    }

    /// 501 `NotImplemented`.
    pub fn not_implemented(method: &str, path: &str) -> ApiError {
        ApiError::new(
            501,
            "NotImplemented",
            &format!("{}: {method} {path}", msg::NOT_IMPLEMENTED),
            vec![],
        )
    }

    /// 405 `UnsupportedHttpVerb` with `Allow`.
    pub fn verb(allow: &str) -> ApiError {
        let mut e = ApiError::new(405, "UnsupportedHttpVerb", msg::VERB, vec![]);
        e.allow = Some(allow.to_string());
        e
    }

    /// 400 `MissingRequiredQueryParameter`.
    pub fn missing_query(name: &str) -> ApiError {
        ApiError::new(
            400,
            "MissingRequiredQueryParameter",
            msg::MISSING_QUERY,
            kv(&[("QueryParameterName", name)]),
        )
    }

    /// 400 `InvalidQueryParameterValue`.
    pub fn query_value(name: &str, value: &str, reason: &str) -> ApiError {
        ApiError::new(
            400,
            "InvalidQueryParameterValue",
            msg::QUERY_VALUE,
            kv(&[
                ("QueryParameterName", name),
                ("QueryParameterValue", value),
                ("Reason", reason),
            ]),
        )
    }

    /// 400 `OutOfRangeQueryParameterValue`.
    pub fn query_range(name: &str, value: &str, reason: &str) -> ApiError {
        ApiError::new(
            400,
            "OutOfRangeQueryParameterValue",
            msg::QUERY_RANGE,
            kv(&[
                ("QueryParameterName", name),
                ("QueryParameterValue", value),
                ("Reason", reason),
            ]),
        )
    }

    /// 400 `InvalidHeaderValue`.
    pub fn header_value(name: &str, value: &str) -> ApiError {
        ApiError::new(
            400,
            "InvalidHeaderValue",
            msg::HEADER_VALUE,
            kv(&[("HeaderName", name), ("HeaderValue", value)]),
        )
    }

    /// 400 `InvalidRequestBody`.
    pub fn body() -> ApiError {
        ApiError::new(400, "InvalidRequestBody", msg::BODY, vec![])
    }

    /// 400 `InvalidRequestBody` with a `Reason` (admin endpoints).
    pub fn body_because(reason: &str) -> ApiError {
        ApiError::new(
            400,
            "InvalidRequestBody",
            msg::BODY,
            kv(&[("Reason", reason)]),
        )
    }

    /// 400 `MissingRequiredProperty`.
    pub fn missing_property(name: &str) -> ApiError {
        ApiError::new(
            400,
            "MissingRequiredProperty",
            msg::MISSING_PROPERTY,
            kv(&[("PropertyName", name)]),
        )
    }

    /// 400 `UnsupportedProperty` (`--strict`).
    pub fn unsupported_property(name: &str) -> ApiError {
        ApiError::new(
            400,
            "UnsupportedProperty",
            msg::UNSUPPORTED_PROPERTY,
            kv(&[("PropertyName", name)]),
        )
    }

    /// 400 `InvalidPropertyValue`.
    pub fn property_value(name: &str, value: &str, reason: &str) -> ApiError {
        ApiError::new(
            400,
            "InvalidPropertyValue",
            msg::PROPERTY_VALUE,
            kv(&[
                ("PropertyName", name),
                ("PropertyValue", value),
                ("Reason", reason),
            ]),
        )
    }

    /// 400 `InvalidAutoScalingSettings`.
    pub fn autoscale_settings(reason: &str) -> ApiError {
        ApiError::new(
            400,
            "InvalidAutoScalingSettings",
            msg::AUTOSCALE_SETTINGS,
            kv(&[("Reason", reason)]),
        )
    }

    /// 404 `PoolNotFound`.
    pub fn pool_not_found() -> ApiError {
        ApiError::new(404, "PoolNotFound", msg::POOL_NOT_FOUND, vec![])
    }

    /// 404 without a body (HEAD).
    pub fn head_not_found() -> ApiError {
        let mut e = ApiError::new(404, "", "", vec![]);
        e.bodiless = true;
        e
    }

    /// 404 `NodeNotFound`.
    pub fn node_not_found(id: &str) -> ApiError {
        ApiError::new(
            404,
            "NodeNotFound",
            msg::NODE_NOT_FOUND,
            kv(&[("NodeId", id)]),
        )
    }

    /// A 409 with its `Reason`.
    pub fn conflict(code: &str, message: &str, reason: &str) -> ApiError {
        ApiError::new(409, code, message, kv(&[("Reason", reason)]))
    }

    /// 409 `PoolBeingDeleted`.
    pub fn being_deleted(id: &str) -> ApiError {
        ApiError::conflict(
            "PoolBeingDeleted",
            msg::BEING_DELETED,
            &format!("pool '{id}' is being deleted"),
        )
    }

    /// 409 `PoolBeingResized`.
    pub fn being_resized(state: &str) -> ApiError {
        ApiError::conflict(
            "PoolBeingResized",
            msg::BEING_RESIZED,
            &format!("allocationState is {state}"),
        )
    }

    /// 409 `OperationInvalidForCurrentState`.
    pub fn invalid_state(reason: &str) -> ApiError {
        ApiError::conflict(
            "OperationInvalidForCurrentState",
            msg::INVALID_STATE,
            reason,
        )
    }

    /// 412 `ConditionNotMet`.
    pub fn condition(read: bool) -> ApiError {
        ApiError::new(
            412,
            "ConditionNotMet",
            if read {
                msg::READ_CONDITION
            } else {
                msg::WRITE_CONDITION
            },
            vec![],
        )
    }

    /// 304, no body.
    pub fn not_modified() -> ApiError {
        let mut e = ApiError::new(304, "", "", vec![]);
        e.bodiless = true;
        e
    }

    /// 500 `InternalError`.
    pub fn internal() -> ApiError {
        ApiError::new(500, "InternalError", msg::INTERNAL, vec![])
    }
}
