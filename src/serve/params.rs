//! The parameters of `/search`, from a query string, a form or a JSON body alike, validated into
//! one typed request; every refusal names the parameter (the handlers answer it as a 400).

use serde_json::Value;

use crate::engines::TermFilter;
use crate::query::{Fusion, Mode, QueryParams};

/// Largest `k` a request may ask for.
pub const MAX_K: usize = 1000;
/// Largest `num_candidates` (Elasticsearch refuses more than 10,000).
pub const MAX_CANDIDATES: usize = 10_000;

/// What `/search` is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMode {
    Engine(Mode),
    /// Brute force over the `--store` vectors.
    Exact,
}

impl SearchMode {
    pub fn name(self) -> &'static str {
        match self {
            SearchMode::Engine(m) => m.name(),
            SearchMode::Exact => "exact",
        }
    }

    pub const ALL: [SearchMode; 4] = [
        SearchMode::Engine(Mode::Bm25),
        SearchMode::Engine(Mode::Knn),
        SearchMode::Engine(Mode::Hybrid),
        SearchMode::Exact,
    ];
}

/// A validated `/search` request.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    pub mode: SearchMode,
    /// The engine query: `k`, candidates, fusion and filters from the request over the server's
    /// defaults.
    pub params: QueryParams,
}

/// A parameter that does not validate: `(parameter, why)`.
#[derive(Debug, Clone, PartialEq)]
pub struct BadParam {
    pub param: String,
    pub message: String,
}

impl std::fmt::Display for BadParam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid parameter `{}`: {}", self.param, self.message)
    }
}

fn bad(param: &str, message: impl Into<String>) -> BadParam {
    BadParam {
        param: param.to_owned(),
        message: message.into(),
    }
}

/// `application/x-www-form-urlencoded` pairs (a query string or a form body).
pub fn form_pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A JSON object as pairs: strings and numbers as text, an array as one pair per element.
pub fn json_pairs(body: &Value) -> Result<Vec<(String, String)>, BadParam> {
    let obj = body
        .as_object()
        .ok_or_else(|| bad("body", "expected a JSON object such as {\"q\": \"...\"}"))?;
    let mut pairs = Vec::new();
    for (key, value) in obj {
        let items: Vec<&Value> = match value {
            Value::Array(a) => a.iter().collect(),
            Value::Null => continue,
            v => vec![v],
        };
        for item in items {
            let text = match item {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(bad(key, "expected a string or a number")),
            };
            pairs.push((key.clone(), text));
        }
    }
    Ok(pairs)
}

/// Query text one search may hold at most (bytes): far beyond the model's 256 tokens, short of
/// a query that makes the engine build a huge boolean query.
pub const MAX_Q_BYTES: usize = 4096;
/// Term filters one search may hold at most.
pub const MAX_FILTERS: usize = 32;

/// Validate `pairs` over the server's `base` query settings. `filter` may repeat and may hold a
/// comma-separated list; every other parameter is given once at most; unknown ones are refused
/// (a typo should not be ignored silently).
pub fn parse_search(
    pairs: &[(String, String)],
    base: &QueryParams,
) -> Result<SearchRequest, BadParam> {
    let mut p = base.clone();
    let (mut q, mut mode) = (None, SearchMode::Engine(Mode::Hybrid));
    let (mut rrf_k, mut alpha) = (None, None);
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in pairs {
        if key != "filter" {
            if seen.contains(&key.as_str()) {
                return Err(bad(key, "given more than once"));
            }
            seen.push(key);
        }
        match key.as_str() {
            "q" => q = Some(value.trim().to_owned()),
            "mode" => mode = parse_mode(value)?,
            "k" => p.k = number(key, value, 1, MAX_K)?,
            "num_candidates" => p.candidates = number(key, value, 1, MAX_CANDIDATES)?,
            "rrf_k" => rrf_k = Some(positive_float(key, value)?),
            "alpha" => alpha = Some(unit_float(key, value)?),
            "filter" => {
                for f in value.split(',').filter(|f| !f.trim().is_empty()) {
                    p.filters.push(parse_filter(f)?);
                }
                if p.filters.len() > MAX_FILTERS {
                    return Err(bad(key, format!("more than {MAX_FILTERS} filters")));
                }
            }
            other => {
                return Err(bad(
                    other,
                    "unknown parameter (known: q, mode, k, filter, num_candidates, rrf_k, alpha)",
                ));
            }
        }
    }
    let q = q
        .filter(|q| !q.is_empty())
        .ok_or_else(|| bad("q", "missing or empty: the query text"))?;
    if q.len() > MAX_Q_BYTES {
        return Err(bad(
            "q",
            format!("longer than {MAX_Q_BYTES} bytes (the model reads 256 tokens at most)"),
        ));
    }
    match (alpha, rrf_k) {
        (Some(_), Some(_)) => {
            return Err(bad(
                "alpha",
                "give either alpha (linear fusion) or rrf_k (RRF), not both",
            ));
        }
        (Some(alpha), None) => p.fusion = Fusion::Linear { alpha },
        (None, Some(k)) => p.fusion = Fusion::Rrf { k },
        (None, None) => {}
    }
    p.candidates = p.candidates.max(p.k);
    p.leg_size = p.leg_size.max(p.k);
    Ok(SearchRequest { q, mode, params: p })
}

fn parse_mode(value: &str) -> Result<SearchMode, BadParam> {
    SearchMode::ALL
        .into_iter()
        .find(|m| m.name() == value.trim())
        .ok_or_else(|| {
            bad(
                "mode",
                format!("`{value}` is not one of bm25, knn, hybrid, exact"),
            )
        })
}

fn number(key: &str, value: &str, min: usize, max: usize) -> Result<usize, BadParam> {
    match value.trim().parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(bad(
            key,
            format!("`{value}` is not a whole number in {min}..={max}"),
        )),
    }
}

fn positive_float(key: &str, value: &str) -> Result<f32, BadParam> {
    match value.trim().parse::<f32>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(bad(key, format!("`{value}` is not a positive number"))),
    }
}

fn unit_float(key: &str, value: &str) -> Result<f32, BadParam> {
    match value.trim().parse::<f32>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(bad(key, format!("`{value}` is not a number in [0, 1]"))),
    }
}

fn parse_filter(s: &str) -> Result<TermFilter, BadParam> {
    TermFilter::parse(s).map_err(|why| bad("filter", format!("`{s}`: {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<SearchRequest, BadParam> {
        parse_search(&form_pairs(s), &QueryParams::new("idx"))
    }

    fn refused(s: &str) -> String {
        parse(s).unwrap_err().param
    }

    #[test]
    fn a_query_string_becomes_a_request() {
        let r =
            parse("q=statins+and+heart&mode=knn&k=5&filter=a=1,b=2&filter=c=3&num_candidates=3")
                .unwrap();
        assert_eq!(r.q, "statins and heart");
        assert_eq!(r.mode, SearchMode::Engine(Mode::Knn));
        assert_eq!(r.params.k, 5);
        assert_eq!(r.params.candidates, 5, "candidates are at least k");
        let f: Vec<_> = r.params.filters.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(f, ["a", "b", "c"]);
        let r = parse("q=x&alpha=0.3").unwrap();
        assert_eq!(r.mode, SearchMode::Engine(Mode::Hybrid));
        assert_eq!(r.params.fusion, Fusion::Linear { alpha: 0.3 });
        assert_eq!(parse("q=x&mode=exact").unwrap().mode, SearchMode::Exact);
    }

    #[test]
    fn every_refusal_names_the_parameter() {
        assert_eq!(refused("mode=knn"), "q");
        assert_eq!(refused("q=%20"), "q");
        assert_eq!(refused("q=x&mode=fuzzy"), "mode");
        assert_eq!(refused("q=x&k=0"), "k");
        assert_eq!(refused("q=x&k=1001"), "k");
        assert_eq!(refused("q=x&k=ten"), "k");
        assert_eq!(refused("q=x&num_candidates=0"), "num_candidates");
        assert_eq!(refused("q=x&rrf_k=-1"), "rrf_k");
        assert_eq!(refused("q=x&alpha=2"), "alpha");
        assert_eq!(refused("q=x&alpha=0.5&rrf_k=10"), "alpha");
        assert_eq!(refused("q=x&filter=novalue"), "filter");
        assert_eq!(refused("q=x&q=y"), "q");
        assert_eq!(refused("q=x&size=3"), "size");
        let e = parse("q=x&k=0").unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid parameter `k`: `0` is not a whole number in 1..=1000"
        );
    }

    #[test]
    fn a_json_body_reads_like_a_query_string() {
        let body = serde_json::json!({"q": "x", "k": 3, "filter": ["a=1", "b=2"], "alpha": null});
        let r = parse_search(&json_pairs(&body).unwrap(), &QueryParams::new("i")).unwrap();
        assert_eq!((r.params.k, r.params.filters.len()), (3, 2));
        assert_eq!(
            json_pairs(&serde_json::json!([1])).unwrap_err().param,
            "body"
        );
        let nested = serde_json::json!({"q": {"a": 1}});
        assert_eq!(json_pairs(&nested).unwrap_err().param, "q");
    }
}
