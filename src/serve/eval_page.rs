//! `/eval`: the report of `sembridge eval` (the same Markdown table, as HTML) for the server's
//! `--queries`/`--qrels`, plus the recall-latency plot of a candidates sweep when `--store` is
//! given. Computed in the background on the first request (one run at a time, within
//! `--eval-timeout`), kept once done; a failure is shown for [`RETRY_AFTER`], then the next
//! request tries again. Until then the page says so and refreshes itself.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::ServeState;
use super::errors::ApiError;
use crate::eval::plot::sweep_svg;
use crate::eval::report::{render_markdown, render_sweep_markdown};
use crate::eval::run::{EvalConfig, EvalReport, evaluate};

/// Candidate counts of the sweep (with `--store`).
const SWEEP: [usize; 5] = [10, 20, 50, 100, 200];

/// After a failed evaluation, the failure is shown this long before a request starts another.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Where the report stands: one evaluation at a time; a report is kept, a failure only for
/// [`RETRY_AFTER`].
#[derive(Default)]
pub struct Cache {
    slot: Mutex<Slot>,
}

#[derive(Default)]
enum Slot {
    #[default]
    Idle,
    Running,
    Done(String),
    Failed {
        message: String,
        at: Instant,
    },
}

pub async fn handler(State(s): State<Arc<ServeState>>) -> Response {
    let Some(inputs) = &s.eval else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "no eval report: start `sembridge serve` with --queries and --qrels",
        )
        .into_response();
    };
    {
        let mut slot = s.eval_report.slot.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Slot::Done(page) => return Html(page.clone()).into_response(),
            Slot::Failed { message, at } if at.elapsed() < RETRY_AFTER => {
                let body = wrap(
                    &format!(
                        "<p class=err>eval failed: {}</p><p>The next request after {} s \
                         tries again.</p>",
                        escape(message),
                        RETRY_AFTER.as_secs()
                    ),
                    false,
                );
                return (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response();
            }
            Slot::Running => {}
            Slot::Idle | Slot::Failed { .. } => {
                *slot = Slot::Running;
                let state = Arc::clone(&s);
                let deadline = inputs.timeout;
                tokio::spawn(async move {
                    let page = match tokio::time::timeout(deadline, compute(&state)).await {
                        Ok(page) => page,
                        Err(_) => Err(format!(
                            "not done within {} s (--eval-timeout)",
                            deadline.as_secs_f64()
                        )),
                    };
                    let mut slot = state
                        .eval_report
                        .slot
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    *slot = match page {
                        Ok(page) => Slot::Done(page),
                        Err(message) => Slot::Failed {
                            message,
                            at: Instant::now(),
                        },
                    };
                });
            }
        }
    }
    let body = wrap(
        &format!(
            "<p>Evaluating {} queries in every mode; this page refreshes until the report is \
             ready.</p>",
            inputs.queries.len()
        ),
        true,
    );
    (StatusCode::ACCEPTED, Html(body)).into_response()
}

async fn compute(s: &ServeState) -> Result<String, String> {
    let inputs = s.eval.as_ref().ok_or("no --queries")?;
    let store = s.store.as_ref().map(|(st, _)| st);
    let cfg = EvalConfig {
        query: s.base.clone(),
        depth: 100,
        sweep: if store.is_some() {
            SWEEP.to_vec()
        } else {
            Vec::new()
        },
    };
    let report = evaluate(
        &s.engine,
        &s.embedder,
        store,
        &inputs.queries,
        &inputs.qrels,
        &cfg,
    )
    .await
    .map_err(|e| crate::error::chain(&e))?;
    Ok(render(s, &report))
}

fn render(s: &ServeState, report: &EvalReport) -> String {
    let mut html = format!(
        "<p>{} {} index <code>{}</code>, {} judged queries, model <code>{}</code></p>\n",
        escape(&s.info.kind.to_string()),
        escape(&s.info.version),
        escape(&report.index),
        report.queries,
        escape(&s.model_name())
    );
    html.push_str(&markdown_table(&render_markdown(&report.modes)));
    if !report.sweep.is_empty() {
        html.push_str("<h2>Candidates sweep</h2>\n");
        html.push_str(&markdown_table(&render_sweep_markdown(&report.sweep)));
        let name = format!("{} {}", s.info.kind, s.info.version);
        match sweep_svg(&name, &report.sweep) {
            Ok(svg) => html.push_str(&format!("<div class=plot>{svg}</div>\n")),
            Err(e) => html.push_str(&format!(
                "<p class=err>plot: {}</p>",
                escape(&e.to_string())
            )),
        }
    }
    wrap(&html, false)
}

fn wrap(body: &str, refresh: bool) -> String {
    let meta = if refresh {
        "<meta http-equiv=refresh content=2>"
    } else {
        ""
    };
    format!(
        "<!doctype html><html><head><meta charset=utf-8>{meta}<title>sembridge eval</title>\
         <style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:3px 8px}}td.r{{text-align:right}}\
         .err{{color:#b00}}</style></head><body><h1>sembridge eval</h1>\
         <p><a href=\"/\">search</a></p>\n{body}</body></html>"
    )
}

/// A Markdown pipe table (header, alignment row, rows) as an HTML table; `---:` columns are
/// right-aligned. Cells are escaped; `\|` stays a literal bar.
pub fn markdown_table(md: &str) -> String {
    let rows: Vec<Vec<String>> = md
        .lines()
        .filter(|l| l.trim_start().starts_with('|'))
        .map(|l| {
            let inner = l.trim().trim_start_matches('|').trim_end_matches('|');
            inner
                .replace("\\|", "\u{0}")
                .split('|')
                .map(|c| c.trim().replace('\u{0}', "|"))
                .collect()
        })
        .collect();
    let Some((head, rest)) = rows.split_first() else {
        return String::new();
    };
    let (right, body): (Vec<bool>, &[Vec<String>]) = match rest.split_first() {
        Some((align, body)) if align.iter().all(|c| c.chars().all(|ch| "-: ".contains(ch))) => {
            (align.iter().map(|c| c.ends_with(':')).collect(), body)
        }
        _ => (vec![false; head.len()], rest),
    };
    let mut out = String::from("<table><thead><tr>");
    for h in head {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in body {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let class = if right.get(i).copied().unwrap_or(false) {
                " class=r"
            } else {
                ""
            };
            out.push_str(&format!("<td{class}>{}</td>", escape(c)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_markdown_table_becomes_html() {
        let md = "| mode | nDCG@10 |\n|---|---:|\n| a\\|b | 0.5 |\n| <x> | – |\n";
        let html = markdown_table(md);
        assert_eq!(
            html,
            "<table><thead><tr><th>mode</th><th>nDCG@10</th></tr></thead><tbody>\n\
             <tr><td>a|b</td><td class=r>0.5</td></tr>\n\
             <tr><td>&lt;x&gt;</td><td class=r>–</td></tr>\n</tbody></table>\n"
        );
    }
}
