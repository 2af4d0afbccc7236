//! Parquet encoding of one file's columns on several threads.
//!
//! [`ParquetWriter`] writes what parquet-rs's `ArrowWriter` writes, byte for byte: it is built
//! from one (so the file has the same schema, properties and Arrow schema metadata), cuts batches
//! into row groups by the same rules (rows, then the estimated encoded bytes), and hands each
//! column to parquet-rs's own column writers. What differs is who runs them: a batch's columns
//! are encoded, and a row group's columns closed (where most of their pages are compressed), by
//! up to [`ParquetWriter::set_threads`] threads taking groups of columns in turn (the calling
//! thread and helpers kept for the file's life, a [`Pool`]). Every column
//! writer sees the same values in the same order whatever the number of threads, and the
//! chunks are spliced into the file in schema order, so the output does not depend on it.
//! (`ArrowWriter`'s content-defined chunking is not reproduced, and refused: [`WriteOptions`]
//! never turns it on.)
//!
//! [`WriteOptions`]: crate::WriteOptions
//!
//! Why: a table of Netskope application events has ~700 columns and one file per table, so
//! with `ArrowWriter` a file is encoded by one thread. On a file of application events only,
//! that thread did as much work as all the decoding threads together, and the conversion used
//! both cores only 1.5x as well as one.

use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{FieldRef, SchemaRef};
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnWriter, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::errors::{ParquetError, Result};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use crate::pool::Pool;

/// Columns (fields when encoding, leaf columns when closing) a thread takes at a time: enough
/// that taking them costs little, few enough that the threads finish together (a table has up
/// to ~700 columns of very unequal weight). 4 and 64 measured the same.
const COLUMNS_PER_TASK: usize = 16;

/// Batches with fewer rows are encoded on the calling thread: handing columns to the helpers
/// is not worth it for a few rows. (Closing a row group always uses them.)
const MIN_PARALLEL_ROWS: usize = 256;

/// The row group being written: one writer per leaf column, and its rows so far. The writers
/// are boxed: they move to the encoding threads and back with every batch (1.5 KB each, ~700
/// of them).
#[allow(clippy::vec_box)]
struct RowGroup {
    writers: Vec<Box<ArrowColumnWriter>>,
    rows: usize,
}

impl RowGroup {
    fn estimated_bytes(&self) -> usize {
        self.writers
            .iter()
            .map(|w| w.get_estimated_total_bytes())
            .sum()
    }
}

/// Writes batches of one schema as a Parquet file, encoding their columns on several threads;
/// the bytes are those `ArrowWriter` writes (see the module docs).
pub(crate) struct ParquetWriter<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// `leaves[i]..leaves[i + 1]` are the column writers of field `i` (a struct or list of
    /// structs has several leaves).
    leaves: Vec<usize>,
    row_group: Option<RowGroup>,
    max_rows: Option<usize>,
    max_bytes: Option<usize>,
    /// The encoding threads (the calling one alone until [`ParquetWriter::set_threads`]);
    /// several files' writers may share them ([`ParquetWriter::set_pool`]).
    pool: Arc<Pool>,
    /// Smaller batches are encoded on the calling thread ([`MIN_PARALLEL_ROWS`]).
    min_parallel_rows: usize,
}

impl<W: Write + Send> ParquetWriter<W> {
    /// Starts a file of `schema` with `props`, encoding on the calling thread until
    /// [`ParquetWriter::set_threads`].
    pub fn try_new(out: W, schema: SchemaRef, props: WriterProperties) -> Result<Self> {
        if props.content_defined_chunking().is_some() {
            return Err(ParquetError::General(
                "content-defined chunking is not supported".into(),
            ));
        }
        let (max_rows, max_bytes) = (props.max_row_group_row_count(), props.max_row_group_bytes());
        let (file, factory) =
            ArrowWriter::try_new(out, schema.clone(), Some(props))?.into_serialized_writer()?;
        let mut leaves = vec![0];
        for field in schema.fields() {
            let empty = arrow_array::new_empty_array(field.data_type());
            let n = compute_leaves(field, &empty)?.len();
            leaves.push(leaves.last().copied().unwrap_or(0) + n);
        }
        Ok(ParquetWriter {
            file,
            factory,
            schema,
            leaves,
            row_group: None,
            max_rows,
            max_bytes,
            pool: Arc::new(Pool::new(0)),
            min_parallel_rows: MIN_PARALLEL_ROWS,
        })
    }

    /// Encodes on up to `threads` threads (the calling one included; at least 1): starts
    /// `threads - 1` helpers, which stay until the writer is dropped.
    pub fn set_threads(&mut self, threads: usize) {
        if threads.max(1) != self.pool.threads() {
            self.pool = Arc::new(Pool::new(threads.max(1) - 1));
        }
    }

    /// Encodes on `pool`'s threads, which other writers may use at the same time.
    pub fn set_pool(&mut self, pool: Arc<Pool>) {
        self.pool = pool;
    }

    /// Writes `batch`, closing row groups where `ArrowWriter` would.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let fields = self.schema.fields();
        let same = batch.num_columns() == fields.len()
            && fields
                .iter()
                .zip(batch.columns())
                .all(|(f, c)| f.data_type() == c.data_type());
        if !same {
            return Err(ParquetError::General(
                "the batch's columns do not match the file's schema".into(),
            ));
        }
        self.write_rows(batch)
    }

    /// `ArrowWriter::write`'s cutting of a batch into row groups, step for step.
    fn write_rows(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if self.row_group.is_none() {
            let index = self.file.flushed_row_groups().len();
            let writers = self.factory.create_column_writers(index)?;
            let writers = writers.into_iter().map(Box::new).collect();
            self.row_group = Some(RowGroup { writers, rows: 0 });
        }
        let group = self.row_group.as_ref().expect("created above");
        let rows = batch.num_rows();
        if let Some(max_rows) = self.max_rows {
            if group.rows + rows > max_rows {
                let fit = max_rows - group.rows;
                self.write_rows(&batch.slice(0, fit))?;
                return self.write_rows(&batch.slice(fit, rows - fit));
            }
        }
        if let Some(max_bytes) = self.max_bytes {
            if group.rows > 0 {
                let bytes = group.estimated_bytes();
                if bytes >= max_bytes {
                    self.flush()?;
                    return self.write_rows(batch);
                }
                if let Some(row_bytes) = bytes.checked_div(group.rows).filter(|&b| b > 0) {
                    let fit = (max_bytes - bytes) / row_bytes;
                    if rows > fit {
                        if fit > 0 {
                            self.write_rows(&batch.slice(0, fit))?;
                            return self.write_rows(&batch.slice(fit, rows - fit));
                        }
                        self.flush()?;
                        return self.write_rows(batch);
                    }
                }
            }
        }
        let pool = (rows >= self.min_parallel_rows).then_some(&*self.pool);
        let group = self.row_group.as_mut().expect("created above");
        encode(
            self.schema.fields(),
            batch.columns(),
            &self.leaves,
            &mut group.writers,
            pool,
        )?;
        group.rows += rows;
        let full = self.max_rows.is_some_and(|max| group.rows >= max)
            || self
                .max_bytes
                .is_some_and(|max| group.estimated_bytes() >= max);
        if full {
            self.flush()?;
        }
        Ok(())
    }

    /// Closes the row group being written, if any, and appends it to the file.
    fn flush(&mut self) -> Result<()> {
        let Some(group) = self.row_group.take() else {
            return Ok(());
        };
        let closed = self
            .pool
            .map(group.writers, COLUMNS_PER_TASK, |w| (*w).close());
        let mut row_group = self.file.next_row_group()?;
        for chunk in closed {
            chunk?.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the output.
    pub fn into_inner(mut self) -> Result<W> {
        self.flush()?;
        self.file.into_inner()
    }
}

/// Encodes one batch's `columns` (of `fields`) with `writers`, on `pool`'s threads (on the
/// calling one without a pool). The writers move to the threads with their columns and come
/// back in order, also when a column fails.
#[allow(clippy::vec_box)] // see `RowGroup`
fn encode(
    fields: &[FieldRef],
    columns: &[ArrayRef],
    leaves: &[usize],
    writers: &mut Vec<Box<ArrowColumnWriter>>,
    pool: Option<&Pool>,
) -> Result<()> {
    // Each field with its column and its writers.
    let mut all = std::mem::take(writers).into_iter();
    let tasks: Vec<Task> = fields
        .iter()
        .zip(columns)
        .enumerate()
        .map(|(i, (field, column))| Task {
            field: field.clone(),
            column: column.clone(),
            writers: all.by_ref().take(leaves[i + 1] - leaves[i]).collect(),
        })
        .collect();
    let run = |task: Task| -> (Vec<Box<ArrowColumnWriter>>, Result<()>) {
        let Task {
            field,
            column,
            mut writers,
        } = task;
        let written = compute_leaves(&field, &column).and_then(|leaves| {
            leaves
                .iter()
                .zip(writers.iter_mut())
                .try_for_each(|(leaf, writer)| writer.write(leaf))
        });
        (writers, written)
    };
    let done = match pool {
        Some(pool) => pool.map(tasks, COLUMNS_PER_TASK, run),
        None => tasks.into_iter().map(run).collect(),
    };
    let mut result = Ok(());
    for (mine, written) in done {
        writers.extend(mine);
        if result.is_ok() {
            result = written;
        }
    }
    result
}

/// One field's share of a batch: its column and its leaves' writers.
#[allow(clippy::vec_box)] // see `RowGroup`
struct Task {
    field: FieldRef,
    column: ArrayRef,
    writers: Vec<Box<ArrowColumnWriter>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_all, Table, WriteOptions};

    fn repo_file(path: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
    }

    /// The bundled exports' batches of `table`, `copies` times over, in batches of `batch` rows.
    fn batches(table: Table, copies: usize, batch: usize) -> Vec<RecordBatch> {
        let mut input = Vec::new();
        for _ in 0..copies {
            input.extend(repo_file("samples/tenant-export-v2.ndjson"));
            input.extend(repo_file("samples/tenant-export-v1.ndjson"));
        }
        let options = crate::DecoderOptions {
            batch_size: batch,
            ..Default::default()
        };
        read_all(&input[..], options)
            .unwrap()
            .batches(table)
            .to_vec()
    }

    fn arrow_writer(table: Table, props: &WriterProperties, batches: &[RecordBatch]) -> Vec<u8> {
        let mut w = ArrowWriter::try_new(Vec::new(), table.schema(), Some(props.clone())).unwrap();
        for b in batches {
            w.write(b).unwrap();
        }
        w.into_inner().unwrap()
    }

    fn ours(
        table: Table,
        props: &WriterProperties,
        batches: &[RecordBatch],
        threads: usize,
    ) -> Vec<u8> {
        let mut w = ParquetWriter::try_new(Vec::new(), table.schema(), props.clone()).unwrap();
        w.set_threads(threads);
        w.min_parallel_rows = 0;
        for b in batches {
            w.write(b).unwrap();
        }
        w.into_inner().unwrap()
    }

    #[test]
    fn writes_what_arrow_writer_writes_on_any_number_of_threads() {
        let mut cases = 0;
        // (rows per batch, row group rows, row group bytes): row groups cut by rows, by
        // estimated bytes (after a group's first batch, by the average size of its rows: 10 KB
        // cuts application events' 7-row batches into groups of 12 and 8 rows) and not at all.
        let settings = [
            (1, 5, 1 << 30),
            (7, 1 << 20, 2000),
            (7, 1 << 20, 10_000),
            (1000, 3, 1 << 30),
            (1000, 1 << 20, 24 << 20),
        ];
        for table in [Table::Application, Table::Alerts, Table::Audit] {
            for (batch, row_group_rows, row_group_bytes) in settings {
                let batches = batches(table, 2, batch);
                let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
                assert!(rows >= 10, "{table:?}: {rows} rows");
                let options = WriteOptions {
                    row_group_rows,
                    row_group_bytes,
                    ..Default::default()
                };
                let props = options.parquet_properties_for(table).unwrap();
                let want = arrow_writer(table, &props, &batches);
                for threads in [1, 2, 8] {
                    let got = ours(table, &props, &batches, threads);
                    assert!(
                        got == want,
                        "{table:?}, batches of {batch}, row groups of {row_group_rows} rows / \
                         {row_group_bytes} bytes, {threads} threads: {} bytes, want {}",
                        got.len(),
                        want.len()
                    );
                    cases += 1;
                }
            }
        }
        assert_eq!(cases, 3 * 5 * 3);
    }

    #[test]
    fn cuts_row_groups_where_the_limits_say() {
        let table = Table::Application;
        let batches = batches(table, 4, 1000);
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let options = WriteOptions {
            row_group_rows: 7,
            ..Default::default()
        };
        let bytes = ours(
            table,
            &options.parquet_properties_for(table).unwrap(),
            &batches,
            2,
        );
        let reader = parquet::file::reader::SerializedFileReader::new(bytes::Bytes::from(bytes));
        let meta = parquet::file::reader::FileReader::metadata(&reader.unwrap()).clone();
        let sizes: Vec<i64> = meta.row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(sizes.iter().sum::<i64>(), rows as i64);
        assert!(
            sizes[..sizes.len() - 1].iter().all(|&n| n == 7),
            "{sizes:?}"
        );
        assert_eq!(*sizes.last().unwrap(), ((rows - 1) % 7 + 1) as i64);
    }

    #[test]
    fn refuses_a_batch_of_another_schema() {
        let audit = batches(Table::Audit, 1, 1000);
        let options = WriteOptions::default();
        let props = options.parquet_properties_for(Table::Application).unwrap();
        let mut w = ParquetWriter::try_new(Vec::new(), Table::Application.schema(), props).unwrap();
        let err = w.write(&audit[0]).unwrap_err().to_string();
        assert!(err.contains("do not match the file's schema"), "{err}");
        // Nothing was written: the file is still whole, with no rows; the next batch goes in.
        let application = batches(Table::Application, 1, 1000);
        w.write(&application[0]).unwrap();
        let bytes = bytes::Bytes::from(w.into_inner().unwrap());
        let reader = parquet::file::reader::SerializedFileReader::new(bytes).unwrap();
        let meta = parquet::file::reader::FileReader::metadata(&reader);
        assert_eq!(
            meta.file_metadata().num_rows(),
            application[0].num_rows() as i64
        );
    }
}
