//! The `netskope-arrow` command line: convert, summary JSON, rejects file, schema, exit codes.

mod common;

use std::process::Command;

use common::repo_path;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netskope-arrow"))
}

#[test]
fn convert_writes_tables_rejects_and_a_json_summary() {
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["convert", "--json", "--out"])
        .arg(out.path())
        .args([
            "samples/tenant-export-v2.ndjson",
            "samples/tenant-export-v1.ndjson",
            "samples/api-response-v2.json",
            "samples/api-response-v1.json",
            "samples/api-response-v2-pretty.json",
        ])
        .current_dir(repo_path(""))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    let tables = &v["tables"];
    let counts: Vec<(&str, u64)> = [
        ("netskope_audit_events", 5),
        ("netskope_application_events", 12),
        ("netskope_alerts", 22),
        ("netskope_page_events", 4),
        ("netskope_network_events", 2),
        ("netskope_incident_events", 2),
        ("netskope_infrastructure_events", 1),
        ("netskope_endpoint_events", 1),
        ("netskope_unknown", 1),
    ]
    .to_vec();
    for (t, n) in &counts {
        assert_eq!(tables[t].as_u64(), Some(*n), "{t}");
        assert!(
            out.path().join(format!("{t}.parquet")).is_file(),
            "{t}.parquet"
        );
    }
    assert_eq!(v["rejects"], 3);
    assert_eq!(v["blank_lines"], 2);
    assert_eq!(v["unwrapped"], 8);
    let total: u64 = [
        "tenant-export-v2.ndjson",
        "tenant-export-v1.ndjson",
        "api-response-v2.json",
        "api-response-v1.json",
        "api-response-v2-pretty.json",
    ]
    .iter()
    .map(|f| {
        std::fs::metadata(repo_path(&format!("samples/{f}")))
            .unwrap()
            .len()
    })
    .sum();
    assert_eq!(v["bytes_in"].as_u64(), Some(total));
    let rejects = std::fs::read_to_string(out.path().join("rejects.ndjson")).unwrap();
    let lines: Vec<serde_json::Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["source"], "samples/tenant-export-v1.ndjson");
    assert_eq!(
        lines
            .iter()
            .map(|l| l["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![8, 11, 14]
    );
    for l in &lines {
        for k in ["offset", "error", "raw"] {
            assert!(!l[k].is_null(), "{k}");
        }
    }
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A second run into the same directory refuses to clobber, then --overwrite works.
    let again = bin()
        .args(["convert", "--out"])
        .arg(out.path())
        .arg("samples/api-response-v1.json")
        .current_dir(repo_path(""))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists; pass --overwrite"));
    let over = bin()
        .args(["convert", "--overwrite", "--format", "ipc", "--out"])
        .arg(out.path())
        .arg("samples/api-response-v1.json")
        .current_dir(repo_path(""))
        .output()
        .unwrap();
    assert!(over.status.success());
    assert!(out
        .path()
        .join("netskope_application_events.arrow")
        .is_file());
}

#[test]
fn gzip_and_zstd_inputs_and_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(repo_path("samples/tenant-export-v2.ndjson")).unwrap();
    let gz = dir.path().join("in.ndjson.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&raw[..1000]).unwrap();
    let mut member1 = e.finish().unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&raw[1000..]).unwrap();
    member1.extend(e.finish().unwrap()); // two concatenated members
    std::fs::write(&gz, member1).unwrap();
    let zst = dir.path().join("in.ndjson.zst");
    std::fs::write(&zst, zstd::encode_all(&raw[..], 3).unwrap()).unwrap();
    for input in [&gz, &zst] {
        let out = dir.path().join(format!(
            "out-{}",
            input.extension().unwrap().to_str().unwrap()
        ));
        let o = bin()
            .args(["convert", "--json", "-q", "--out"])
            .arg(&out)
            .arg(input)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let s = String::from_utf8(o.stdout).unwrap();
        let v: serde_json::Value = serde_json::from_str(s.lines().last().unwrap()).unwrap();
        assert_eq!(v["rows"], 30, "{input:?}");
        assert_eq!(v["bytes_in"].as_u64(), Some(raw.len() as u64));
    }
    let mut child = bin()
        .args(["convert", "--json", "--out"])
        .arg(dir.path().join("out-stdin"))
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&raw).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let s = String::from_utf8(o.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(s.lines().last().unwrap()).unwrap();
    assert_eq!(v["rows"], 30);
}

/// `--batch-bytes` closes Arrow batches by input size on one thread and on two, alongside
/// `--batch-size`.
#[test]
fn batch_bytes_and_batch_size_bound_the_batches() {
    let line = r#"{"type":"admin_audit_logs","user":"x"}"#;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("audit.ndjson");
    std::fs::write(&input, format!("{line}\n").repeat(7)).unwrap();
    let batches = |args: &[&str]| -> Vec<usize> {
        let out = dir.path().join("out");
        let o = bin()
            .args(["convert", "-q", "--overwrite", "--format", "ipc", "--out"])
            .arg(&out)
            .args(args)
            .arg(&input)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let file = std::fs::File::open(out.join("netskope_audit_events.arrow")).unwrap();
        arrow_ipc::reader::FileReader::try_new(file, None)
            .unwrap()
            .map(|b| b.unwrap().num_rows())
            .collect()
    };
    let three = (3 * line.len()).to_string();
    let under = (3 * line.len() - 1).to_string();
    for threads in ["1", "2"] {
        let t = ["--threads", threads];
        assert_eq!(
            batches(&[&t[..], &["--batch-bytes", &three]].concat()),
            [3, 3, 1]
        );
        assert_eq!(
            batches(&[&t[..], &["--batch-bytes", &under]].concat()),
            [2, 2, 2, 1]
        );
        let both = ["--batch-bytes", &three, "--batch-size", "2"];
        assert_eq!(batches(&[&t[..], &both].concat()), [2, 2, 2, 1]);
        assert_eq!(batches(&t), [7]);
    }
}

#[test]
fn errors_are_one_line_with_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["convert", "--out", "X", "does-not-exist.ndjson"],
            1,
            "cannot read does-not-exist.ndjson",
        ),
        (
            &[
                "convert",
                "--out",
                "X",
                "--table",
                "bogus",
                "samples/api-response-v1.json",
            ],
            2,
            "unknown table \"bogus\"",
        ),
        (
            &[
                "convert",
                "--out",
                "X",
                "--compression",
                "brotli",
                "samples/api-response-v1.json",
            ],
            2,
            "unknown compression",
        ),
        (
            &[
                "convert",
                "--out",
                "X",
                "--batch-bytes",
                "0",
                "samples/api-response-v1.json",
            ],
            2,
            "--batch-size and --batch-bytes must be at least 1",
        ),
        (&["schema", "nope"], 2, "unknown table"),
    ];
    for (args, code, msg) in cases {
        let o = bin()
            .args(*args)
            .current_dir(repo_path(""))
            .env("TMPDIR", dir.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(*code), "{args:?}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("netskope-arrow: error: ") && err.contains(msg),
            "{err}"
        );
    }
    assert!(
        !repo_path("X").exists(),
        "nothing is written when an input is missing"
    );
}

#[test]
fn schema_command_prints_every_table() {
    let o = bin().args(["schema", "--json"]).output().unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(obj.len(), 9);
    let alerts = obj["netskope_alerts"].as_array().unwrap();
    let tid = alerts
        .iter()
        .find(|c| c["name"] == "transaction_id")
        .unwrap();
    assert_eq!(tid["type"], "Int64");
    let o = bin().args(["schema", "audit"]).output().unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.starts_with("netskope_audit_events (17 columns)\n"),
        "{text}"
    );
    assert!(text.contains("  supporting_data"));
    let o = bin().arg("tables").output().unwrap();
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 9);
}

/// The CLI allocates with jemalloc, with the options of `src/allocator.rs`: pages freed go back
/// to the system after 1 s. jemalloc prints its options (as JSON, on stderr) when asked through
/// the environment, which adds to the built-in ones.
#[cfg(not(target_env = "msvc"))]
#[test]
fn the_cli_runs_on_jemalloc_with_its_options() {
    let o = bin()
        .arg("tables")
        .env("_RJEM_MALLOC_CONF", "stats_print:true,stats_print_opts:J")
        .output()
        .unwrap();
    assert!(o.status.success());
    let stderr = String::from_utf8(o.stderr).unwrap();
    let start = stderr.find('{').expect("jemalloc's statistics on stderr");
    let v: serde_json::Value = serde_json::from_str(&stderr[start..]).unwrap();
    let opt = &v["jemalloc"]["opt"];
    assert_eq!(opt["dirty_decay_ms"], 1000, "{opt}");
    assert_eq!(opt["muzzy_decay_ms"], 0, "{opt}");
    // Switched on at run time, for two threads or more
    // (`only_multi_thread_conversions_purge_on_jemalloc_background_thread`).
    assert_eq!(opt["background_thread"], false, "{opt}");
}

/// The names of the threads of `pid` (from `/proc`).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn thread_names(pid: u32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .collect()
}

/// Runs a conversion of a sample fed on stdin, on `threads` threads, and calls `check` with the
/// CLI's pid once its main thread waits in `read(0, ...)`: past the point where it sets up
/// its allocator and starts its threads, before it has read anything.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn while_reading_stdin(threads: &str, check: impl FnOnce(u32)) {
    use std::io::Write;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin()
        .args(["convert", "-q", "--threads", threads, "--out"])
        .arg(dir.path())
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    // `read` is system call 0 on x86_64, and its first argument the file descriptor.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(format!("/proc/{pid}/syscall"))
        .is_ok_and(|s| s.starts_with("0 0x0 "))
    {
        assert!(Instant::now() < deadline, "the CLI never read its stdin");
        std::thread::sleep(Duration::from_millis(5));
    }
    check(pid);
    let input = std::fs::read(repo_path("samples/tenant-export-v2.ndjson")).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    assert!(child.wait().unwrap().success());
}

/// A conversion on two threads or more has jemalloc's background thread return freed pages
/// (`purge_in_background` in `src/bin/netskope-arrow.rs`); one on one thread does not (there
/// it made conversions ~9% slower), and runs on the one thread it starts with.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn only_multi_thread_conversions_purge_on_jemalloc_background_thread() {
    while_reading_stdin("1", |pid| {
        assert_eq!(thread_names(pid), ["netskope-arrow"]);
    });
    while_reading_stdin("2", |pid| {
        // The background thread names itself once it runs: wait for that.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut names = thread_names(pid);
        while !names.iter().any(|n| n == "jemalloc_bg_thd") && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
            names = thread_names(pid);
        }
        assert!(
            names.iter().any(|n| n == "jemalloc_bg_thd"),
            "no background thread among {names:?}"
        );
        assert_eq!(
            names
                .iter()
                .filter(|n| n.starts_with("netskope-decode"))
                .count(),
            2,
            "{names:?}"
        );
    });
}
