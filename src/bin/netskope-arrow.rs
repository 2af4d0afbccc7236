//! `netskope-arrow`: convert Netskope NDJSON exports to Parquet or Arrow IPC files.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};
use netskope_arrow::{
    columns, convert_files, schema_json, Compression, ConvertOptions, DecoderOptions, Limits,
    OutputFormat, ReadOptions, Summary, Table, WriteOptions, DEFAULT_BATCH_BYTES,
};

/// Convert Netskope security logs (REST API v1 / v2 dataexport NDJSON) into typed Parquet or
/// Arrow tables, losslessly.
#[derive(Parser)]
#[command(name = "netskope-arrow", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert NDJSON exports into DIR/<table>.parquet (or .arrow) plus DIR/rejects.ndjson.
    ///
    /// Inputs may be plain, gzip or zstd compressed (detected by magic bytes), `-` reads
    /// stdin, and saved API responses ({"ok":1,"result":[...]} or {"status":"success",
    /// "data":[...]}) are unwrapped. Exit status: 0 when the conversion finished (rejected
    /// lines included), 1 when an input or output failed, 2 for unusable arguments.
    Convert(ConvertArgs),
    /// Print the schema of one table, or of all tables.
    Schema(SchemaArgs),
    /// List the table names.
    Tables,
}

#[derive(Args)]
struct ConvertArgs {
    /// NDJSON files (`-` for stdin).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output directory (created if missing).
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Parquet)]
    format: Format,
    /// Parquet compression: zstd[:LEVEL], snappy, lz4_raw, gzip[:LEVEL] or none.
    #[arg(long, default_value = "zstd", value_name = "CODEC")]
    compression: String,
    /// Put every record into this table instead of routing it (e.g. `application` for an
    /// export of /events/application whose rows may carry alert: "yes").
    #[arg(long, value_name = "TABLE")]
    table: Option<String>,
    /// Most rows in one Arrow batch.
    #[arg(long, default_value_t = 8192, value_name = "ROWS")]
    batch_size: usize,
    /// Most input bytes in one Arrow batch of a table (at most 256 MiB).
    #[arg(long, default_value_t = DEFAULT_BATCH_BYTES, value_name = "BYTES")]
    batch_bytes: usize,
    /// Most rows in one Parquet row group.
    #[arg(long, default_value_t = WriteOptions::default().row_group_rows, value_name = "ROWS")]
    row_group_rows: usize,
    /// A Parquet row group is closed once its encoded size passes this many bytes; this
    /// bounds the writer's memory per table.
    #[arg(long, default_value_t = WriteOptions::default().row_group_bytes, value_name = "BYTES")]
    row_group_bytes: usize,
    /// Longest accepted line in bytes (at most 256 MiB); longer lines are rejected.
    #[arg(long, default_value_t = Limits::default().max_line_bytes, value_name = "BYTES")]
    max_line_bytes: usize,
    /// Largest accepted decompressed-to-compressed ratio of a .gz / .zst input after its first
    /// 16 MiB (a decompression bomb stops with an error); 0 turns the check off.
    #[arg(long, default_value_t = Limits::default().max_decompression_ratio, value_name = "RATIO")]
    max_decompression_ratio: u64,
    /// Decoding threads: 1 reads, decodes and writes on one thread; N >= 2 decodes blocks of
    /// the input on N threads and encodes each table on a thread of its own, which shares the
    /// table's columns with N - 1 more, in input order (same output). 0: one per core.
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
    /// Input bytes per decoding block (0: 8 MiB). Batches end with the blocks: larger blocks
    /// (with a larger --batch-bytes) make larger Arrow batches and use more memory per thread.
    #[arg(long, default_value_t = 0, value_name = "BYTES")]
    block_bytes: usize,
    /// Replace output files that already exist.
    #[arg(long)]
    overwrite: bool,
    /// Print the summary as one JSON object on the last line of stdout.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Apache Parquet (.parquet)
    Parquet,
    /// Arrow IPC file (.arrow)
    Ipc,
}

#[derive(Args)]
struct SchemaArgs {
    /// Table name (`netskope_alerts`, or short: `alerts`); all tables when omitted.
    table: Option<String>,
    /// Output as JSON ({"table": [{"name","type","kind","origin"}]}).
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Convert(a) => convert(a),
        Command::Schema(a) => print_schema(a),
        Command::Tables => {
            for t in Table::ALL {
                println!("{t}");
            }
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, msg)) => {
            eprintln!("netskope-arrow: error: {msg}");
            ExitCode::from(code)
        }
    }
}

type CliResult = Result<(), (u8, String)>;

/// Has a background thread of jemalloc's return freed pages to the system, instead of the
/// threads that free them. On two cores each return interrupts the other core (a TLB
/// shootdown), and a decoding thread that ended returned all its pages while the conversion
/// went on: two-thread conversions of 1 GiB run 1.02x-1.07x faster (medians), with 11% fewer
/// page faults and a ~10 MiB higher peak (BENCHMARKS.md, sixteenth session). Not with one
/// thread, where the background thread's interruptions cost ~9%, nor in the Python module (a
/// thread that jemalloc started would have to survive `fork`, multiprocessing's default on
/// Linux).
fn purge_in_background() {
    // Where the `jemalloc` feature has jemalloc (Cargo.toml), as in `src/allocator.rs`.
    #[cfg(not(any(target_env = "msvc", target_family = "wasm")))]
    {
        let mut on = true;
        // SAFETY: "background_thread" is a writable `bool` option; `newp` points to a `bool`
        // of `newlen` bytes, and no old value is asked for. A failure (no thread support)
        // leaves purging as it was.
        unsafe {
            tikv_jemalloc_sys::mallctl(
                c"background_thread".as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                (&raw mut on).cast(),
                std::mem::size_of::<bool>(),
            );
        }
    }
}

fn usage(e: netskope_arrow::Error) -> (u8, String) {
    (2, e.to_string())
}

fn convert(a: ConvertArgs) -> CliResult {
    let table = a
        .table
        .as_deref()
        .map(str::parse::<Table>)
        .transpose()
        .map_err(usage)?;
    let compression: Compression = a.compression.parse().map_err(usage)?;
    if a.batch_size == 0 || a.batch_bytes == 0 {
        return Err((
            2,
            "--batch-size and --batch-bytes must be at least 1".into(),
        ));
    }
    if a.row_group_rows == 0 || a.row_group_bytes == 0 {
        return Err((
            2,
            "--row-group-rows and --row-group-bytes must be at least 1".into(),
        ));
    }
    let options = ConvertOptions {
        read: ReadOptions {
            threads: a.threads,
            block_bytes: a.block_bytes,
            decoder: DecoderOptions {
                batch_size: a.batch_size,
                batch_bytes: a.batch_bytes,
                table,
                limits: Limits {
                    max_line_bytes: a.max_line_bytes,
                    max_decompression_ratio: a.max_decompression_ratio,
                    ..Limits::default()
                },
            },
        },
        write: WriteOptions {
            format: match a.format {
                Format::Parquet => OutputFormat::Parquet,
                Format::Ipc => OutputFormat::Ipc,
            },
            compression,
            row_group_rows: a.row_group_rows,
            row_group_bytes: a.row_group_bytes,
        },
        overwrite: a.overwrite,
    };
    if options.read.effective_threads() >= 2 {
        purge_in_background();
    }
    let total: u64 = a
        .inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let show = !a.quiet && std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut last = Instant::now();
    let mut progress = |read: u64| {
        if show && last.elapsed().as_millis() >= 100 {
            last = Instant::now();
            draw_progress(read, total, started.elapsed().as_secs_f64());
        }
        Ok(())
    };
    let result = convert_files(&a.inputs, &a.out, &options, &mut progress);
    if show {
        eprint!("\r\x1b[2K");
    }
    let summary = result.map_err(|e| match e {
        netskope_arrow::Error::InvalidArgument(_) => usage(e),
        // Refusing to clobber an existing output is a usage error, like a bad option.
        netskope_arrow::Error::Output { ref source, .. }
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            usage(e)
        }
        e => (1, e.to_string()),
    })?;
    print_summary(&summary, a.json);
    Ok(())
}

fn draw_progress(read: u64, total: u64, secs: f64) {
    let mbps = read as f64 / 1e6 / secs.max(1e-9);
    if total > 0 {
        let frac = (read as f64 / total as f64).min(1.0);
        let filled = (frac * 30.0) as usize;
        eprint!(
            "\r[{}{}] {:5.1}% {:.1}/{:.1} MB {:.0} MB/s",
            "#".repeat(filled),
            " ".repeat(30 - filled),
            frac * 100.0,
            read as f64 / 1e6,
            total as f64 / 1e6,
            mbps
        );
    } else {
        eprint!("\r{:.1} MB {:.0} MB/s", read as f64 / 1e6, mbps);
    }
    let _ = std::io::stderr().flush();
}

fn print_summary(s: &Summary, json: bool) {
    let out = std::io::stdout();
    let mut out = out.lock();
    for t in Table::ALL {
        let rows = s.stats.rows_in(t);
        if rows > 0 {
            let _ = writeln!(out, "{:<32} {:>12} rows", t.name(), rows);
        }
    }
    let _ = writeln!(out, "{:<32} {:>12} rows in total", "", s.stats.total_rows());
    let _ = writeln!(
        out,
        "rejects: {}  blank lines: {}  unwrapped from API responses: {}",
        s.stats.rejects, s.stats.blank_lines, s.stats.unwrapped
    );
    let _ = writeln!(
        out,
        "read {:.1} MB in {:.2} s ({:.1} MB/s)",
        s.stats.bytes_in as f64 / 1e6,
        s.elapsed.as_secs_f64(),
        s.mb_per_s()
    );
    for p in &s.outputs {
        let _ = writeln!(out, "wrote {}", p.display());
    }
    if json {
        let _ = writeln!(out, "{}", s.to_json());
    }
}

fn print_schema(a: SchemaArgs) -> CliResult {
    let tables: Vec<Table> = match &a.table {
        Some(t) => vec![t.parse().map_err(usage)?],
        None => Table::ALL.to_vec(),
    };
    let mut out = String::new();
    if a.json {
        out.push_str(&schema_json(&tables));
        out.push('\n');
    } else {
        for t in tables {
            let cols = columns(t);
            out.push_str(&format!("{} ({} columns)\n", t.name(), cols.len()));
            for c in cols {
                out.push_str(&format!("  {:<40} {}\n", c.name, c.kind.data_type()));
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = stdout.write_all(out.as_bytes());
    Ok(())
}
