//! The routes: `/search`, `/embed` (bounded: concurrency, time, body size), `/healthz`,
//! `/metrics`, the search page `/` and the eval page `/eval`; JSON 404 for anything else.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;

use super::ServeState;
use super::errors::{ApiError, json_errors, layer_error};
use super::params::{BadParam, SearchMode, SearchRequest, form_pairs, json_pairs, parse_search};
use crate::embed::Role;
use crate::error::Error;
use crate::exact::ExactParams;
use crate::hit::Hit;

type AppState = State<Arc<ServeState>>;

/// Texts one `/embed` request may hold at most.
pub const MAX_EMBED_TEXTS: usize = 256;

pub fn router(state: Arc<ServeState>) -> Router {
    let limits = state.limits;
    let turned_away = Arc::clone(&state);
    let bounded = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(move |err: tower::BoxError| {
            let state = Arc::clone(&turned_away);
            async move {
                let e = layer_error(err, limits.request_timeout, limits.max_concurrent);
                let reason = match e.status {
                    StatusCode::GATEWAY_TIMEOUT => "timeout",
                    _ => "overloaded",
                };
                state.metrics.rejected.with_label_values(&[reason]).inc();
                e
            }
        }))
        .load_shed()
        // One semaphore for every bounded route and method (a plain `concurrency_limit` would
        // give each its own, so /embed and GET and POST /search could each fill the server).
        .layer(tower::limit::GlobalConcurrencyLimitLayer::with_semaphore(
            Arc::new(tokio::sync::Semaphore::new(limits.max_concurrent)),
        ))
        .timeout(limits.request_timeout);
    let work = Router::new()
        .route("/search", get(search_get).post(search_post))
        .route("/embed", post(embed))
        .layer(bounded);
    let max_body = limits.max_body_bytes;
    Router::new()
        .route("/", get(index_page))
        .route("/eval", get(super::eval_page::handler))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(work)
        .fallback(not_found)
        // Host, token and content type before any handler; security headers on every answer.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            super::auth::guard,
        ))
        // Inner first: the body limit's plain 413 passes through `json_errors` on its way out.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(axum::middleware::map_response(move |r: Response| {
            json_errors(max_body, r)
        }))
        // A bug that panics in a handler answers JSON 500, not a dropped connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .with_state(state)
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error (a bug in sembridge: the request panicked; the server goes on)",
    )
    .into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such path (known: /, /search, /embed, /healthz, /metrics, /eval)",
    )
}

async fn index_page() -> Html<&'static str> {
    Html(include_str!("index.html"))
}

async fn search_get(State(s): AppState, RawQuery(q): RawQuery) -> Result<Json<Value>, ApiError> {
    search(&s, form_pairs(q.as_deref().unwrap_or(""))).await
}

async fn search_post(
    State(s): AppState,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let pairs = if form {
        form_pairs(&String::from_utf8_lossy(&body))
    } else {
        json_pairs(&parse_json(&body)?)?
    };
    search(&s, pairs).await
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid parameter `body`: not JSON: {e}")))
}

async fn search(s: &ServeState, pairs: Vec<(String, String)>) -> Result<Json<Value>, ApiError> {
    let req = match parse_search(&pairs, &s.base).and_then(|r| allowed(s, r)) {
        Ok(r) => r,
        Err(e) => {
            s.metrics
                .searches
                .with_label_values(&["invalid", "bad_request"])
                .inc();
            return Err(e.into());
        }
    };
    let mode = req.mode.name();
    let started = Instant::now();
    let result = run_search(s, &req).await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) if e.is_engine() => {
            s.metrics.engine_errors.with_label_values(&[mode]).inc();
            "engine_error"
        }
        Err(e) if e.status == StatusCode::BAD_REQUEST => "bad_request",
        Err(_) => "error",
    };
    s.metrics.searches.with_label_values(&[mode, outcome]).inc();
    let (hits, sources, took_ms, embed) = result?;
    let client = started.elapsed();
    s.metrics
        .search_seconds
        .with_label_values(&[mode])
        .observe(client.as_secs_f64());
    if embed > Duration::ZERO {
        s.metrics.observe_embed("search", embed);
    }
    let hits: Vec<Value> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let src = sources.get(i).unwrap_or(&Value::Null);
            let mut hit = json!({
                "id": h.doc_id,
                "score": h.score,
                "title": src.get("title").cloned().unwrap_or(Value::Null),
                "text": src.get("text").cloned().unwrap_or(Value::Null),
            });
            let cut = hit["text"]
                .as_str()
                .and_then(|t| super::auth::truncate_chars(t, s.access.max_text_chars));
            if let Some(cut) = cut {
                hit["text"] = json!(cut);
                hit["text_truncated"] = json!(true);
            }
            if let Some(p) = &h.passage {
                hit["passage"] = json!(p);
            }
            hit
        })
        .collect();
    Ok(Json(json!({
        "mode": mode,
        "k": req.params.k,
        "hits": hits,
        "took_ms": took_ms,
        "client_ms": ms(client),
        "embed_ms": ms(embed),
    })))
}

/// The request within the server's caps (`--max-k`, `--filter-fields`).
fn allowed(s: &ServeState, req: SearchRequest) -> Result<SearchRequest, BadParam> {
    let access = &s.access;
    if req.params.k > access.max_k {
        return Err(BadParam {
            param: "k".into(),
            message: format!(
                "{} is above this server's cap of {} (--max-k)",
                req.params.k, access.max_k
            ),
        });
    }
    let shown = s.base.schema.source_fields();
    if let Some(f) = req
        .params
        .filters
        .iter()
        .find(|f| !access.filter_allowed(&f.field, &shown))
    {
        let fields = match &access.filter_fields {
            Some(list) => list.join(", "),
            None => std::iter::once("_id".to_owned())
                .chain(shown)
                .collect::<Vec<_>>()
                .join(", "),
        };
        return Err(BadParam {
            param: "filter".into(),
            message: format!(
                "field `{}` may not be filtered on here (allowed: {fields}; see --filter-fields)",
                f.field
            ),
        });
    }
    Ok(req)
}

/// Hits, their sources, `took_ms` (the engine's integer ms; exact: the search's fractional ms),
/// model time.
type Found = (Vec<Hit>, Vec<Value>, Value, Duration);

async fn run_search(s: &ServeState, req: &SearchRequest) -> Result<Found, ApiError> {
    match req.mode {
        SearchMode::Engine(mode) => {
            let out = crate::query::run(
                &s.engine,
                Some(&s.embedder),
                &req.q,
                None,
                mode,
                &req.params,
            )
            .await?;
            Ok((out.hits, out.sources, json!(out.took_ms), out.embed))
        }
        SearchMode::Exact => {
            let Some((store, _)) = &s.store else {
                return Err(ApiError::bad_request(
                    "invalid parameter `mode`: exact needs the server started with --store \
                     (the corpus vectors)",
                ));
            };
            if !req.params.filters.is_empty() {
                return Err(ApiError::bad_request(
                    "invalid parameter `filter`: not available with mode=exact (a store holds \
                     vectors, no fields)",
                ));
            }
            let (vector, embed) = crate::query::embed_query(&s.embedder, &req.q).await?;
            let store = Arc::clone(store);
            let params = ExactParams {
                k: req.params.k,
                similarity: req.params.similarity,
                ..ExactParams::default()
            };
            let (hits, took) = crate::blocking::run("exact search", move || {
                let started = Instant::now();
                let mut hits = crate::exact::search(&store, &[vector], &params)?;
                Ok((hits.remove(0), started.elapsed()))
            })
            .await?;
            Ok((hits, Vec::new(), json!(ms(took)), embed))
        }
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

async fn embed(State(s): AppState, body: Bytes) -> Result<Json<Value>, ApiError> {
    let result = embed_texts(&s, &body).await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) if e.status == StatusCode::BAD_REQUEST => "bad_request",
        Err(_) => "error",
    };
    s.metrics.embeds.with_label_values(&[outcome]).inc();
    result
}

async fn embed_texts(s: &ServeState, body: &[u8]) -> Result<Json<Value>, ApiError> {
    let body = parse_json(body)?;
    let texts: Vec<String> = match body.get("texts") {
        Some(Value::Array(a)) if !a.is_empty() && a.len() <= MAX_EMBED_TEXTS => a
            .iter()
            .map(|t| t.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                ApiError::bad_request("invalid parameter `texts`: every element must be a string")
            })?,
        _ => {
            return Err(ApiError::bad_request(format!(
                "invalid parameter `texts`: expected an array of 1 to {MAX_EMBED_TEXTS} strings"
            )));
        }
    };
    let query = match body.get("role").map(|r| r.as_str()) {
        None | Some(Some("document")) => false,
        Some(Some("query")) => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid parameter `role`: expected \"query\" or \"document\"",
            ));
        }
    };
    if let Some(other) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "texts" && *k != "role"))
    {
        return Err(ApiError::bad_request(format!(
            "invalid parameter `{other}`: unknown (known: texts, role)"
        )));
    }
    // A worker first (async, bounded by --worker-wait-ms, 503 past it), then the blocking run,
    // which holds the worker until the model is done even if the request timed out meanwhile.
    let reservation = s.embedder.reserve().await?;
    let model = Arc::clone(&s.embedder);
    let role = if query { Role::Query } else { Role::Document };
    let max_tokens = s.limits.max_embed_tokens;
    let (vectors, took) = crate::blocking::run("embedding", move || {
        let started = Instant::now();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let v = model.embed_reserved(&reservation, &refs, role, Some(max_tokens));
        drop(reservation);
        Ok((v?, started.elapsed()))
    })
    .await
    .map_err(|e| match e {
        // Too much work for one request: the body was fine, its size in tokens was not.
        Error::Config { ref flag, .. } if flag == "--max-embed-tokens" => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
        }
        e => ApiError::from(e),
    })?;
    s.metrics.observe_embed("embed", took);
    Ok(Json(json!({
        "vectors": vectors,
        "dims": s.embedder.dims(),
        "model": s.model_name(),
        "role": if query { "query" } else { "document" },
        "embed_ms": ms(took),
    })))
}

async fn healthz(State(s): AppState) -> Response {
    let index = &s.base.index;
    // The model's state as it is: "ready" while a worker is free, "busy" while every worker runs
    // (requests then wait up to --worker-wait-ms), with the counts.
    let pool = s.embedder.pool_state();
    let model = if pool.busy < pool.workers {
        "ready"
    } else {
        "busy"
    };
    let (status, body) = match s.engine.index_exists(index).await {
        Ok(true) => (
            StatusCode::OK,
            json!({"engine": "ok", "model": model, "embedding": pool, "index": index}),
        ),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"engine": "ok", "model": model, "embedding": pool, "index": index,
                   "error": s.engine.missing_index(index)}),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"engine": "unreachable", "model": model, "embedding": pool, "index": index,
                   "error": ApiError::from(e).message}),
        ),
    };
    (status, Json(body)).into_response()
}

async fn metrics(State(s): AppState) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}
