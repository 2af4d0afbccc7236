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
    /// Longest accepted line in bytes (default 64 MiB, at most 256 MiB: a larger value counts
    /// as 256 MiB). Longer lines are rejected and only their first
    /// [`Limits::max_reject_raw_bytes`] bytes are kept. Records inside a pretty-printed document
    /// are held to the same limit.
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
    /// Largest accepted ratio of decompressed to compressed bytes of a gzip or zstd input
    /// (default 500; 0 turns the check off). The first [`Limits::DECOMPRESSION_GRACE_BYTES`]
    /// (16 MiB) of output are always accepted, so a small file of repeated lines is never
    /// refused. Exceeding it stops the input with [`Error::Decompress`](crate::Error::Decompress)
    /// naming this limit, after at most `max(16 MiB, ratio × compressed bytes consumed)` of
    /// output: a decompression bomb costs time and memory in proportion to its own size.
    /// Real exports compress 5 to 8 times (gzip -9 and zstd -19 on the samples and the
    /// benchmark corpus), so 500 leaves a 60-fold margin; gzip's ceiling is about 1,030 times,
    /// so a gzip bomb (a stream of zeros or of one repeated record, 998 to 1,030 times) is
    /// stopped whatever its member size, and zstd bombs (30,000 times and more) at once.
    pub max_decompression_ratio: u64,
}

impl Limits {
    /// Output of a compressed input accepted before [`Limits::max_decompression_ratio`] is
    /// checked (16 MiB).
    pub const DECOMPRESSION_GRACE_BYTES: u64 = 16 << 20;

    /// The error message when `out` decompressed bytes from `input` compressed bytes exceed
    /// [`Limits::max_decompression_ratio`], `None` while within it. For code that runs its
    /// own decompressor (the WebAssembly package does).
    ///
    /// ```
    /// let limits = netskope_arrow::Limits::default();
    /// assert_eq!(limits.decompression_ratio_exceeded(16 << 20, 1), None); // the grace
    /// assert_eq!(limits.decompression_ratio_exceeded(50 << 20, 1 << 20), None); // 50 times
    /// let msg = limits.decompression_ratio_exceeded(2 << 30, 1 << 20).unwrap();
    /// assert!(msg.contains("(Limits::max_decompression_ratio)"), "{msg}");
    /// ```
    pub fn decompression_ratio_exceeded(&self, out: u64, input: u64) -> Option<String> {
        let ratio = self.max_decompression_ratio;
        if ratio == 0
            || out <= Self::DECOMPRESSION_GRACE_BYTES
            || out <= input.saturating_mul(ratio)
        {
            return None;
        }
        Some(format!(
            "decompressed data is more than {ratio} times larger than its compressed input \
             (Limits::max_decompression_ratio): stopped after {out} bytes from {input} \
             compressed bytes"
        ))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: 64 << 20,
            max_depth: 512,
            max_keys: 100_000,
            max_reject_raw_bytes: 1 << 20,
            max_document_bytes: 1 << 30,
            max_decompression_ratio: 500,
        }
    }
}
