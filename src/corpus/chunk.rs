//! Documents -> passages: token windows over a document's text, so text past the model's
//! `max_seq_length` is embedded too instead of being cut off.
//!
//! The window arithmetic here is pure (token counts in, token ranges out); the model's tokenizer
//! supplies the token offsets ([`crate::embed::Embedder::passages`]). Definitions:
//! - `--chunk-tokens N` is a passage's whole model input: special tokens + title + text window.
//!   The text window is `N - specials - title_tokens` tokens (the title is counted at most
//!   `N / 2`, so a window always keeps half the budget), and nothing of a passage is truncated.
//! - `--chunk-overlap M` text tokens are shared by consecutive windows: stride = window - M.
//! - The last window is shifted back so it ends at the text's end and is full length (no tiny
//!   tail: the words of a short tail get their context from the text before them, and the
//!   overlap with the previous window grows instead).
//! - Passage ids are `PARENT#I` (I from 0, in text order): deterministic, so re-runs overwrite.

use std::ops::Range;

/// How documents are cut into passages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChunkOptions {
    /// Tokens of model input per passage (specials + title + text window).
    pub tokens: usize,
    /// Text tokens shared by consecutive windows.
    pub overlap: usize,
}

/// The smallest text window [`ChunkOptions::text_window`] hands out.
pub const MIN_WINDOW: usize = 8;

impl ChunkOptions {
    /// Validate against the model's input length; an error is (the flag, the message).
    pub fn new(
        tokens: usize,
        overlap: usize,
        max_seq_length: usize,
    ) -> Result<Self, (&'static str, String)> {
        let tokens_err = |m: String| Err(("--chunk-tokens", m));
        if tokens > max_seq_length {
            return tokens_err(format!(
                "{tokens} is longer than the model's max_seq_length \
                 {max_seq_length}: the passages would be truncated"
            ));
        }
        if tokens < 2 * MIN_WINDOW + 4 {
            return tokens_err(format!(
                "{tokens} is too small (at least {})",
                2 * MIN_WINDOW + 4
            ));
        }
        if overlap * 2 > tokens {
            return Err((
                "--chunk-overlap",
                format!("{overlap} must be at most half of --chunk-tokens {tokens}"),
            ));
        }
        Ok(ChunkOptions { tokens, overlap })
    }

    /// Text tokens per window for a document whose title takes `title_tokens` and whose model
    /// input adds `specials` tokens.
    pub fn text_window(&self, specials: usize, title_tokens: usize) -> usize {
        let title = title_tokens.min(self.tokens / 2);
        self.tokens.saturating_sub(specials + title).max(MIN_WINDOW)
    }
}

/// Token ranges of the windows over a text of `n_tokens` tokens: `window` tokens each, starting
/// every `window - overlap` tokens (overlap capped at half a window), the last one shifted back to end at `n_tokens`. A text that
/// fits (or is empty) is one window `0..n_tokens`. The ranges cover every token, in order, and
/// every one is `window` long unless the text is shorter.
pub fn windows(n_tokens: usize, window: usize, overlap: usize) -> Vec<Range<usize>> {
    let window = window.max(1);
    // At most half a window of overlap, so a window always brings new tokens.
    let overlap = overlap.min(window / 2);
    if n_tokens <= window {
        #[allow(clippy::single_range_in_vec_init)] // one window, not the list of 0..n
        return vec![0..n_tokens];
    }
    let stride = window.saturating_sub(overlap).max(1);
    let mut out = Vec::with_capacity((n_tokens - window).div_ceil(stride) + 1);
    let mut start = 0;
    loop {
        if start + window >= n_tokens {
            let last = n_tokens - window;
            out.push(last..n_tokens);
            return out;
        }
        out.push(start..start + window);
        start += stride;
    }
}

/// The id of passage `index` of `parent`.
pub fn passage_id(parent: &str, index: usize) -> String {
    format!("{parent}#{index}")
}

/// `PARENT#I` -> (`PARENT`, I); the last `#` splits, so parent ids may contain `#` themselves.
pub fn split_passage_id(id: &str) -> Option<(&str, usize)> {
    let (parent, index) = id.rsplit_once('#')?;
    Some((parent, index.parse().ok()?))
}

/// One passage of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    pub parent: String,
    /// Position among the document's passages, from 0.
    pub index: usize,
    /// Character offsets (Unicode scalar values, end exclusive) of the window in the document's text.
    pub start: usize,
    pub end: usize,
    /// What gets embedded: the title, a space, the window's text (as [`super::Doc::embed_text`]).
    pub text: String,
}

impl Passage {
    pub fn id(&self) -> String {
        passage_id(&self.parent, self.index)
    }
}

/// Cut `text` into passages given its tokens' byte offsets (`offsets[i] = (start, end)` of token
/// `i` in `text`) and the text window length. Byte offsets that do not fall on character
/// boundaries are moved to the nearest one before (start) or after (end).
pub fn cut(
    parent: &str,
    title: &str,
    text: &str,
    offsets: &[(usize, usize)],
    window: usize,
    overlap: usize,
) -> Vec<Passage> {
    let embed = |slice: &str| {
        if title.is_empty() {
            slice.trim().to_owned()
        } else {
            format!("{title} {slice}").trim().to_owned()
        }
    };
    if offsets.is_empty() {
        return vec![Passage {
            parent: parent.to_owned(),
            index: 0,
            start: 0,
            end: text.chars().count(),
            text: embed(text),
        }];
    }
    let floor = |mut b: usize| {
        b = b.min(text.len());
        while !text.is_char_boundary(b) {
            b -= 1;
        }
        b
    };
    let ceil = |mut b: usize| {
        b = b.min(text.len());
        while !text.is_char_boundary(b) {
            b += 1;
        }
        b
    };
    let single = offsets.len() <= window;
    windows(offsets.len(), window, overlap)
        .into_iter()
        .enumerate()
        .map(|(index, r)| {
            // One window holds the whole text: keep all of it (leading/trailing spaces, characters
            // the tokenizer dropped), exactly as without chunking.
            let (a, b) = if single {
                (0, text.len())
            } else {
                (floor(offsets[r.start].0), ceil(offsets[r.end - 1].1))
            };
            let b = b.max(a);
            Passage {
                parent: parent.to_owned(),
                index,
                start: text[..a].chars().count(),
                end: text[..b].chars().count(),
                text: embed(&text[a..b]),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn windows_cover_in_order_full_length(n in 0usize..3000, window in 1usize..300, overlap_frac in 0.0f64..0.5) {
            let overlap = (window as f64 * overlap_frac) as usize;
            let w = windows(n, window, overlap);
            prop_assert!(!w.is_empty());
            prop_assert_eq!(w[0].start, 0);
            prop_assert_eq!(w.last().unwrap().end, n);
            for r in &w {
                prop_assert_eq!(r.len(), window.min(n));
            }
            for pair in w.windows(2) {
                // in order, no gap, at least `overlap` shared, never the same window twice
                prop_assert!(pair[1].start > pair[0].start);
                prop_assert!(pair[1].start <= pair[0].end);
                prop_assert!(pair[0].end - pair[1].start >= overlap);
            }
            // a naive reference: starts 0, s, 2s, ... while the window does not reach the end
            let stride = (window - overlap).max(1);
            let expected = if n <= window { 1 } else { (n - window).div_ceil(stride) + 1 };
            prop_assert_eq!(w.len(), expected);
        }
    }

    #[test]
    fn the_last_window_is_shifted_back_not_a_tail() {
        assert_eq!(windows(10, 4, 1), vec![0..4, 3..7, 6..10]);
        assert_eq!(windows(11, 4, 1), vec![0..4, 3..7, 6..10, 7..11]);
        assert_eq!(windows(3, 4, 1), vec![0..3]);
        assert_eq!(windows(0, 4, 1), vec![0..0]);
    }

    #[test]
    fn passages_carry_char_offsets_title_and_ids() {
        // "é" is two bytes: char offsets differ from byte offsets after it.
        let text = "é one two three four";
        let offsets = [(0, 2), (3, 6), (7, 10), (11, 16), (17, 21)];
        let p = cut("d#1", "T", text, &offsets, 2, 0);
        let spans: Vec<(usize, usize, &str)> = p
            .iter()
            .map(|p| (p.start, p.end, p.text.as_str()))
            .collect();
        assert_eq!(
            spans,
            vec![
                (0, 5, "T é one"),
                (6, 15, "T two three"),
                (10, 20, "T three four")
            ]
        );
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(
            chars[p[1].start..p[1].end].iter().collect::<String>(),
            "two three"
        );
        assert_eq!(p[2].id(), "d#1#2");
        assert_eq!(split_passage_id(&p[2].id()), Some(("d#1", 2)));
        assert_eq!(split_passage_id("plain"), None);
    }

    #[test]
    fn a_short_text_is_one_passage_like_the_unchunked_text() {
        let p = cut("x", "Title", " a b ", &[(1, 2), (3, 4)], 10, 2);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].text, "Title  a b");
        assert_eq!((p[0].start, p[0].end), (0, 5));
    }

    #[test]
    fn options_errors_name_the_flags() {
        assert_eq!(
            ChunkOptions::new(512, 0, 256).unwrap_err().0,
            "--chunk-tokens"
        );
        assert_eq!(
            ChunkOptions::new(256, 200, 256).unwrap_err().0,
            "--chunk-overlap"
        );
        let o = ChunkOptions::new(256, 64, 256).unwrap();
        assert_eq!(o.text_window(2, 20), 234);
        assert_eq!(
            o.text_window(2, 500),
            126,
            "a long title takes at most half"
        );
    }
}
