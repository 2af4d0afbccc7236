//! Resource limits that keep hostile input from exhausting memory or time.

/// Limits applied to every input line. Exceeding one turns the line into a reject whose
/// error names the limit; the conversion goes on with the next line.
///
/// ```
/// let limits = netskope_arrow::Limits { max_line_bytes: 1 << 20, ..Default::default() };
/// assert_eq!(limits.max_depth, 512);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted line in bytes (default 64 MiB, at most 4 GiB). Longer lines are
    /// rejected and only their first [`Limits::max_reject_raw_bytes`] bytes are kept.
    pub max_line_bytes: usize,
    /// Deepest accepted nesting of objects and arrays, the record itself being level 1
    /// (default 512).
    pub max_depth: usize,
    /// Most top-level keys accepted in one record (default 100,000).
    pub max_keys: usize,
    /// How much of a rejected line is kept in the rejects output (default 1 MiB).
    pub max_reject_raw_bytes: usize,
    /// Largest pretty-printed JSON document (a saved API response spread over many lines) that
    /// is collected and decoded whole (default 1 GiB, at most 4 GiB).
    pub max_document_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: 64 << 20,
            max_depth: 512,
            max_keys: 100_000,
            max_reject_raw_bytes: 1 << 20,
            max_document_bytes: 1 << 30,
        }
    }
}
