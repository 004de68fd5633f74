//! Recall against latency as a small hand-written SVG (one line per engine), so a benchmark leaves a
//! picture without a plotting dependency.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};

/// One measured setting (e.g. one `ef_search` / `num_candidates` value).
#[derive(Debug, Clone, PartialEq)]
pub struct PlotPoint {
    pub latency_ms: f64,
    pub recall: f64,
    /// Shown next to the point (e.g. `ef=100`), if any.
    pub label: Option<String>,
}

/// The points of one engine (or engine + mode).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<PlotPoint>,
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 480.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 180.0; // room for the legend
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLORS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// Escapes text for SVG content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks over `span`.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Axis range `[lo, hi]` covering the values, rounded out to whole ticks, with its tick step.
fn axis(lo: f64, hi: f64) -> (f64, f64, f64) {
    let (lo, hi) = if hi - lo > 1e-12 {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    let step = nice_step(hi - lo, 5.0);
    ((lo / step).floor() * step, (hi / step).ceil() * step, step)
}

/// Tick positions from `lo` to `hi` by `step` (at most 50; none for a non-finite range).
fn ticks(lo: f64, hi: f64, step: f64) -> impl Iterator<Item = f64> {
    (0..=50)
        .map(move |i| lo + f64::from(i) * step)
        .take_while(move |t| t.is_finite() && *t <= hi + step * 1e-9)
}

fn tick_label(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{v:.decimals$}")
}

/// An SVG line plot of recall (y) against latency (x), one polyline per series (points in latency
/// order), with axes, ticks, axis labels and a legend. Non-finite points are left out.
pub fn recall_latency_svg(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> String {
    let finite = |p: &&PlotPoint| p.latency_ms.is_finite() && p.recall.is_finite();
    let all: Vec<&PlotPoint> = series
        .iter()
        .flat_map(|s| &s.points)
        .filter(finite)
        .collect();
    let (x_min, x_max) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.latency_ms), b.max(p.latency_ms))
        });
    let (y_min, y_max) = all
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.recall), b.max(p.recall))
        });
    // Latency axis from 0; recall axis up to at least 1 when the values are recalls.
    let (x0, x1, xs) = if all.is_empty() {
        axis(0.0, 1.0)
    } else {
        axis(0.0_f64.min(x_min), x_max)
    };
    let (y0, y1, ys) = if all.is_empty() {
        axis(0.0, 1.0)
    } else {
        axis(y_min, y_max.max(if y_max <= 1.0 { 1.0 } else { y_max }))
    };
    let pw = WIDTH - LEFT - RIGHT;
    let ph = HEIGHT - TOP - BOTTOM;
    let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * pw;
    let py = |y: f64| TOP + ph - (y - y0) / (y1 - y0) * ph;

    let mut svg = String::new();
    // Writing to a String cannot fail; the results are ignored below for that reason.
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{}</text>"#,
        LEFT + pw / 2.0,
        esc(title)
    );
    // Grid and ticks.
    for t in ticks(x0, x1, xs) {
        let x = px(t);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#e5e5e5"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP + ph,
            TOP + ph + 18.0,
            tick_label(t, xs)
        );
    }
    for t in ticks(y0, y1, ys) {
        let y = py(t);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + pw,
            LEFT - 8.0,
            y + 4.0,
            tick_label(t, ys)
        );
    }
    let _ = writeln!(
        svg,
        r#"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        LEFT + pw / 2.0,
        HEIGHT - 16.0,
        esc(x_label)
    );
    let _ = writeln!(
        svg,
        r#"<text x="18" y="{:.1}" text-anchor="middle" transform="rotate(-90 18 {:.1})">{}</text>"#,
        TOP + ph / 2.0,
        TOP + ph / 2.0,
        esc(y_label)
    );
    // Series.
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let mut pts: Vec<&PlotPoint> = s.points.iter().filter(finite).collect();
        pts.sort_by(|a, b| a.latency_ms.total_cmp(&b.latency_ms));
        let coords: Vec<String> = pts
            .iter()
            .map(|p| format!("{:.1},{:.1}", px(p.latency_ms), py(p.recall)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            coords.join(" "),
            esc(&s.name)
        );
        for p in &pts {
            let (x, y) = (px(p.latency_ms), py(p.recall));
            let _ = writeln!(
                svg,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{color}"/>"#
            );
            if let Some(label) = &p.label {
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" font-size="10" fill="{color}">{}</text>"#,
                    x + 5.0,
                    y - 5.0,
                    esc(label)
                );
            }
        }
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let lx = LEFT + pw + 15.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{color}" stroke-width="2"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 20.0,
            lx + 26.0,
            ly + 4.0,
            esc(&s.name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Writes [`recall_latency_svg`] to `path`.
pub fn write_recall_latency_svg(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<()> {
    std::fs::write(path, recall_latency_svg(title, x_label, y_label, series))
        .map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal well-formedness check: every element closes, in order; attribute quotes balance.
    fn check_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("unclosed tag") + start;
            let tag = &rest[start + 1..end];
            assert_eq!(tag.matches('"').count() % 2, 0, "quotes in <{tag}>");
            assert!(!tag.contains('<'), "stray < in <{tag}>");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap_or_default().to_owned();
                stack.push(name);
            }
            // Text between tags must not hold a raw `<` or `&` that is not an entity.
            rest = &rest[end + 1..];
            let text_end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..text_end];
            for (i, _) in text.match_indices('&') {
                assert!(text[i..].contains(';'), "bare & in {text:?}");
            }
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }

    fn pt(latency_ms: f64, recall: f64, label: Option<&str>) -> PlotPoint {
        PlotPoint {
            latency_ms,
            recall,
            label: label.map(str::to_owned),
        }
    }

    #[test]
    fn one_polyline_per_series() {
        let series = vec![
            Series {
                name: "OpenSearch <lucene> & co".into(),
                points: vec![
                    pt(4.0, 0.97, Some("ef=100")),
                    pt(2.0, 0.91, Some("ef=10")),
                    pt(f64::NAN, 0.5, None),
                ],
            },
            Series {
                name: "Elasticsearch".into(),
                points: vec![pt(3.0, 0.95, None), pt(6.5, 0.99, None)],
            },
            Series {
                name: "empty".into(),
                points: vec![],
            },
        ];
        let svg = recall_latency_svg(
            "recall@10 vs latency",
            "p50 latency (ms)",
            "recall@10",
            &series,
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert!(svg.contains("OpenSearch &lt;lucene&gt; &amp; co"));
        assert!(svg.contains("p50 latency (ms)") && svg.contains(">recall@10<"));
        check_well_formed(&svg);
    }

    #[test]
    fn degenerate_inputs_do_not_break_the_svg() {
        for series in [
            vec![],
            vec![Series {
                name: "one point".into(),
                points: vec![pt(0.0, 1.0, None)],
            }],
            vec![Series {
                name: "huge".into(),
                points: vec![pt(1e9, -3.0, None), pt(f64::INFINITY, 0.2, None)],
            }],
        ] {
            let svg = recall_latency_svg("t", "x", "y", &series);
            assert_eq!(svg.matches("<polyline").count(), series.len());
            check_well_formed(&svg);
        }
    }

    #[test]
    fn writes_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plot.svg");
        write_recall_latency_svg(&path, "t", "x", "y", &[]).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
    }
}
