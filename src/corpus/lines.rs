//! Byte lines with their numbers: the corpus readers decode each line themselves, so a line with
//! invalid UTF-8 is an error for that line only, and no line is too long.

use std::io::{self, BufRead};

/// Lines of a byte stream, without the line terminator (`\n` or `\r\n`) and without a UTF-8 BOM on
/// the first line. The buffer is reused, so memory is the longest line seen, not the file.
pub(crate) struct Lines {
    inner: Box<dyn BufRead + Send>,
    buf: Vec<u8>,
    line: u64,
}

/// Above this, a buffer that held one huge line is released rather than kept for the rest of the run.
const KEEP_CAPACITY: usize = 1 << 20;

impl Lines {
    pub(crate) fn new(inner: Box<dyn BufRead + Send>) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            line: 0,
        }
    }

    /// The next line and its 1-based number, `Ok(None)` at the end.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::new();
        }
        self.buf.clear();
        // `read_until` retries `Interrupted` itself.
        let n = self.inner.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut bytes = self.buf.as_slice();
        if let Some(rest) = bytes.strip_suffix(b"\n") {
            bytes = rest;
        }
        if let Some(rest) = bytes.strip_suffix(b"\r") {
            bytes = rest;
        }
        if self.line == 1
            && let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF")
        {
            bytes = rest;
        }
        Ok(Some((self.line, bytes)))
    }
}

/// True for lines that hold only ASCII whitespace (vertical tab included, as `str::trim` does):
/// those are skipped without a word.
pub(crate) fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0x0b)
}

/// The line as text, or a message saying where the first invalid byte is.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not valid UTF-8 (first bad byte at offset {}); re-encode the file as UTF-8",
            e.valid_up_to()
        )
    })
}
