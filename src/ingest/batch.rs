//! Cutting the embedded document stream into bulk requests (by count and by bytes).

use super::sender::Prepared;
use crate::corpus::Doc;
use crate::engines::{BulkDoc, DocVectors, Schema};

/// Cuts the document stream into bulk requests by document count and body bytes, across
/// embedding chunks (a request is not cut short because a chunk ended). Requests carry the stream
/// sequence number of their first document, which the checkpoint watermark needs.
pub(crate) struct Batcher {
    index: String,
    schema: Schema,
    /// Write `_id` into the bulk actions (false for OpenSearch Serverless, which refuses them).
    pub with_ids: bool,
    max_docs: usize,
    max_bytes: usize,
    /// Sequence number of the next document pushed.
    next: u64,
    start: u64,
    current: Vec<Prepared>,
    bytes: usize,
}

impl Batcher {
    pub fn new(
        index: &str,
        schema: &Schema,
        max_docs: usize,
        max_bytes: usize,
        first: u64,
    ) -> Batcher {
        Batcher {
            index: index.to_owned(),
            schema: schema.clone(),
            with_ids: true,
            max_docs: max_docs.max(1),
            max_bytes,
            next: first,
            start: first,
            current: Vec::new(),
            bytes: 0,
        }
    }

    /// Chunks arrive in stream order with no gaps; a gap would make the checkpoint lie.
    pub fn check_contiguous(&self, chunk_start: u64) {
        debug_assert_eq!(chunk_start, self.next, "chunks must arrive in stream order");
    }

    /// Add a document; returns the request it completed, if any.
    pub fn push(&mut self, doc: Doc, vector: DocVectors) -> Option<(u64, Vec<Prepared>)> {
        let bulk_doc = BulkDoc {
            id: doc.id.clone(),
            title: doc.title,
            text: doc.text,
            metadata: doc.metadata,
            vector,
        };
        let ndjson = match self.with_ids {
            true => bulk_doc.to_ndjson(&self.index, &self.schema),
            false => bulk_doc.to_ndjson_without_id(&self.index, &self.schema),
        };
        // A document too big for max_bytes on its own still goes, alone.
        let full = !self.current.is_empty() && self.bytes + ndjson.len() > self.max_bytes;
        let done = if full { self.take() } else { None };
        self.bytes += ndjson.len();
        self.next += 1;
        self.current.push(Prepared {
            id: doc.id,
            line: doc.line,
            ndjson,
        });
        if self.current.len() >= self.max_docs {
            debug_assert!(done.is_none());
            return self.take();
        }
        done
    }

    fn take(&mut self) -> Option<(u64, Vec<Prepared>)> {
        if self.current.is_empty() {
            return None;
        }
        let request = std::mem::take(&mut self.current);
        let start = self.start;
        self.start += request.len() as u64;
        self.bytes = 0;
        Some((start, request))
    }

    /// The last, partial request.
    pub fn finish(&mut self) -> Option<(u64, Vec<Prepared>)> {
        self.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(i: usize, text_len: usize) -> Doc {
        Doc {
            id: format!("d{i}"),
            title: String::new(),
            text: "x".repeat(text_len),
            metadata: Default::default(),
            line: i as u64 + 1,
        }
    }

    /// Feed `n` docs in chunks of `chunk`; the requests that come out.
    fn requests(
        n: usize,
        chunk: usize,
        max_docs: usize,
        max_bytes: usize,
    ) -> Vec<(u64, Vec<Prepared>)> {
        let mut b = Batcher::new("i", &Schema::default(), max_docs, max_bytes, 10);
        let mut out = Vec::new();
        for c in (0..n).collect::<Vec<_>>().chunks(chunk) {
            b.check_contiguous(10 + c[0] as u64);
            for &i in c {
                out.extend(b.push(doc(i, 20), vec![0.5; 4].into()));
            }
        }
        out.extend(b.finish());
        out
    }

    #[test]
    fn requests_span_chunks_and_are_cut_by_count() {
        // 1000 docs in chunks of 256 with 500 per request: two full requests, not four partial ones.
        let r = requests(1000, 256, 500, 8 << 20);
        let sizes: Vec<usize> = r.iter().map(|(_, q)| q.len()).collect();
        assert_eq!(sizes, vec![500, 500]);
        assert_eq!(r[0].0, 10);
        assert_eq!(r[1].0, 510);
        assert_eq!(r[1].1[0].id, "d500");
    }

    #[test]
    fn requests_are_cut_by_bytes_and_keep_sequence_numbers() {
        let one = BulkDoc {
            id: "d0".into(),
            title: String::new(),
            text: "x".repeat(20),
            metadata: Default::default(),
            vector: vec![0.5; 4].into(),
        }
        .to_ndjson("i", &Schema::default())
        .len();
        // Room for three documents per request (ids d0..d9 have equal length).
        let r = requests(10, 4, 100, one * 3 + one / 2);
        let sizes: Vec<usize> = r.iter().map(|(_, q)| q.len()).collect();
        assert_eq!(sizes, vec![3, 3, 3, 1]);
        let mut next = 10;
        for (start, q) in &r {
            assert_eq!(*start, next);
            assert!(q.iter().map(|p| p.ndjson.len()).sum::<usize>() <= one * 3 + one / 2);
            next += q.len() as u64;
        }
        assert_eq!(next, 20);
    }

    #[test]
    fn a_document_larger_than_the_byte_cap_goes_alone() {
        let mut b = Batcher::new("i", &Schema::default(), 100, 50, 0);
        assert!(b.push(doc(0, 10), vec![].into()).is_none());
        let first = b
            .push(doc(1, 500), vec![].into())
            .expect("the small one is cut off");
        assert_eq!(first.1.len(), 1);
        let second = b
            .push(doc(2, 10), vec![].into())
            .expect("the big one goes alone");
        assert_eq!((second.0, second.1.len()), (1, 1));
        assert_eq!(b.finish().map(|(s, q)| (s, q.len())), Some((2, 1)));
        assert!(b.finish().is_none());
    }
}
