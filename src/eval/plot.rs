//! Recall against latency as an SVG line plot (one line per engine), drawn with `plotters`' SVG
//! backend, so a benchmark leaves a picture without a hand-kept renderer.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::report::SweepPoint;
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

const SIZE: (u32, u32) = (760, 480);
const COLORS: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// The error `plotters` reports for a drawing on the SVG backend.
type DrawError = DrawingAreaErrorKind<std::io::Error>;

/// Text as SVG may carry it: control characters are not allowed in XML 1.0, so they are dropped
/// (the backend escapes `<`, `&` and quotes).
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

fn is_finite(p: &&PlotPoint) -> bool {
    p.latency_ms.is_finite() && p.recall.is_finite()
}

/// `[lo, hi]` with a margin of `pad` times the span on each side; a degenerate span is widened.
fn padded(lo: f64, hi: f64, pad: f64) -> std::ops::Range<f64> {
    if hi - lo > 1e-12 {
        let m = (hi - lo) * pad;
        lo - m..hi + m
    } else {
        lo - 0.5..hi + 0.5
    }
}

/// The axis ranges: latency from 0 (or below, for odd input); recall up to at least 1 when the
/// values are recalls; the unit square when there is nothing to show.
fn ranges(series: &[Series]) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let all: Vec<&PlotPoint> = series
        .iter()
        .flat_map(|s| &s.points)
        .filter(is_finite)
        .collect();
    if all.is_empty() {
        return (0.0..1.0, 0.0..1.0);
    }
    let (x_min, x_max, y_min, y_max) = all.iter().fold(
        (0.0_f64, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY),
        |(a, b, c, d), p| {
            (
                a.min(p.latency_ms),
                b.max(p.latency_ms),
                c.min(p.recall),
                d.max(p.recall),
            )
        },
    );
    let y_hi = if y_max <= 1.0 { 1.0 } else { y_max };
    (padded(x_min, x_max, 0.03), padded(y_min, y_hi, 0.03))
}

fn draw(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> std::result::Result<(), DrawError> {
    root.fill(&WHITE)?;
    let (xr, yr) = ranges(series);
    let mut chart = ChartBuilder::on(root)
        .caption(clean(title), ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(65)
        .build_cartesian_2d(xr, yr)?;
    chart
        .configure_mesh()
        .x_desc(clean(x_label))
        .y_desc(clean(y_label))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .light_line_style(RGBColor(0xf2, 0xf2, 0xf2))
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let mut pts: Vec<&PlotPoint> = s.points.iter().filter(is_finite).collect();
        pts.sort_by(|a, b| a.latency_ms.total_cmp(&b.latency_ms));
        let xy = |p: &&PlotPoint| (p.latency_ms, p.recall);
        chart
            .draw_series(LineSeries::new(pts.iter().map(xy), color.stroke_width(2)))?
            .label(clean(&s.name))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(pts.iter().map(|p| Circle::new(xy(p), 3, color.filled())))?;
        let font = ("sans-serif", 13).into_font().color(&color);
        chart.draw_series(pts.iter().filter_map(|p| {
            let label = clean(p.label.as_deref()?);
            Some(EmptyElement::at(xy(p)) + Text::new(label, (5, -16), font.clone()))
        }))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()
}

/// An SVG line plot of recall (y) against latency (x): one line with dots per series (points in
/// latency order, each point's label beside it), axes with ticks and labels, a legend naming the
/// series. Non-finite points are left out.
pub fn recall_latency_svg(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> std::result::Result<String, DrawError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(&root, title, x_label, y_label, series)?;
    }
    Ok(svg)
}

/// The titles of a candidates sweep's plot: title, x axis, y axis.
const SWEEP_TITLES: [&str; 3] = [
    "kNN recall@10 vs latency (candidates sweep)",
    "p50 latency (ms)",
    "ANN recall@10 vs exact",
];

/// A candidates sweep of one engine (`name`): ANN recall@10 against p50 latency, each point
/// labelled with its candidates.
fn sweep_series(name: &str, sweep: &[SweepPoint]) -> Series {
    Series {
        name: name.to_owned(),
        points: sweep
            .iter()
            .map(|s| PlotPoint {
                latency_ms: s.latency_p50_ms,
                recall: s.ann_recall_at10,
                label: Some(s.candidates.to_string()),
            })
            .collect(),
    }
}

/// The plot of a candidates sweep, as serve's `/eval` page shows it.
pub fn sweep_svg(name: &str, sweep: &[SweepPoint]) -> std::result::Result<String, DrawError> {
    let [title, x, y] = SWEEP_TITLES;
    recall_latency_svg(title, x, y, &[sweep_series(name, sweep)])
}

/// The plot of a candidates sweep written to `path` (`sembridge eval --plot`).
pub fn write_sweep_svg(path: &Path, name: &str, sweep: &[SweepPoint]) -> Result<()> {
    let [title, x, y] = SWEEP_TITLES;
    write_recall_latency_svg(path, title, x, y, &[sweep_series(name, sweep)])
}

/// Writes [`recall_latency_svg`] to `path`.
pub fn write_recall_latency_svg(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<()> {
    let svg = recall_latency_svg(title, x_label, y_label, series)
        .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
    std::fs::write(path, svg).map_err(|e| Error::io(path, e))
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
            if tag.starts_with('?') || tag.starts_with('!') {
                // XML declaration or comment.
            } else if let Some(name) = tag.strip_prefix('/') {
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
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{text:?}"
            );
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }

    /// The `<text>` contents of the SVG, trimmed.
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text")
            .skip(1)
            .map(|t| {
                let body = &t[t.find('>').expect("text tag closes") + 1..];
                body[..body.find("</text>").expect("text closes")].trim()
            })
            .collect()
    }

    /// Polylines drawn in series `i`'s color with the series stroke: its line (when it has a
    /// point) and its legend sample.
    fn series_polylines(svg: &str, i: usize) -> usize {
        let RGBColor(r, g, b) = COLORS[i];
        let stroke = format!(r##"stroke="#{r:02X}{g:02X}{b:02X}" stroke-width="2""##);
        svg.lines()
            .filter(|l| l.starts_with("<polyline") && l.contains(&stroke))
            .count()
    }

    fn pt(latency_ms: f64, recall: f64, label: Option<&str>) -> PlotPoint {
        PlotPoint {
            latency_ms,
            recall,
            label: label.map(str::to_owned),
        }
    }

    #[test]
    fn one_line_per_series_with_labels_and_legend() {
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
                name: "Elasticsearch\u{7}".into(),
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
        )
        .unwrap();
        check_well_formed(&svg);
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        // Line + legend sample for each series with points; only the legend for the empty one.
        assert_eq!(series_polylines(&svg, 0), 2);
        assert_eq!(series_polylines(&svg, 1), 2);
        assert_eq!(series_polylines(&svg, 2), 1);
        // One dot per finite point.
        assert_eq!(svg.matches("<circle").count(), 4);
        let texts = texts(&svg);
        for want in [
            "recall@10 vs latency",
            "p50 latency (ms)",
            "recall@10",
            "ef=100",
            "ef=10",
            "OpenSearch &lt;lucene&gt; &amp; co",
            "Elasticsearch",
            "empty",
        ] {
            assert!(texts.contains(&want), "no text {want:?} in {texts:?}");
        }
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
            let svg = recall_latency_svg("t", "x", "y", &series).unwrap();
            check_well_formed(&svg);
            for i in 0..series.len() {
                assert_eq!(series_polylines(&svg, i), 2, "{svg}");
            }
        }
    }

    #[test]
    fn writes_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plot.svg");
        write_recall_latency_svg(&path, "t", "x", "y", &[]).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
    }

    #[test]
    fn an_unwritable_path_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir").join("plot.svg");
        let err = write_recall_latency_svg(&path, "t", "x", "y", &[]).unwrap_err();
        assert!(err.to_string().contains("plot.svg"), "{err}");
    }
}
