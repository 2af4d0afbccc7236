//! A deterministic generator of realistic Netskope NDJSON exports, for benchmarks.
//!
//! ```sh
//! cargo run --release --example gen_corpus -- --size 1GiB --mix mixed --seed 42 --out bench-data/mixed.ndjson
//! cargo run --release --example gen_corpus -- --size 64MiB --mix application --out bench-data/app.ndjson
//! ```
//!
//! Records follow the shapes in `../shared/notes/netskope-quirks.md`: V1 and V2 shapes of audit
//! events (~0.4 KB), application events (~3.6 KB, 150-230 keys) and alerts of every kind
//! (~4.7 KB), keys drawn from the table schemas (`schema/columns.csv`) plus unknown keys, 63-bit
//! IDs, numbers and booleans as strings, placeholders, unicode, `\u` and `\/` escapes (V1), nested
//! objects, and rare blank and truncated lines. The same seed and size give the same bytes.
//!
//! `--mix mixed` (default): 55% application events, 35% alerts, 10% audit events, V1 and V2 half
//! each, one truncated line in 10,000 and one blank line in 5,000. `--mix application`: V2
//! application events only, no bad or blank lines (a file generic readers can load).
//!
//! Next to the output it writes `<out>.truth.json`: the ground truth (rows per table, rejects,
//! blank lines, lines, bytes) that a conversion must reproduce.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};

use netskope_arrow::{columns, ColumnKind, Table};

/// splitmix64: small, fast and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, per_10000: u64) -> bool {
        self.below(10_000) < per_10000
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

const APPS: &[&str] = &[
    "Box",
    "Microsoft Office 365 OneDrive for Business",
    "Google Drive",
    "Slack",
    "Dropbox",
    "Salesforce",
    "GitHub",
    "Webmail Personal",
    "ChatGPT",
    "Zoom",
    "Amazon S3",
    "Workday",
];
const USERS: &[&str] = &[
    "alice.martin@example.com",
    "bob.tanaka@example.com",
    "chloé.dubois@example.com",
    "dmitri.ivanov@example.org",
    "eve.müller@example.net",
    "svc-backup@example.com",
    "山田太郎@example.jp",
    "ana.garcía@example.com",
];
const CATEGORIES: &[&str] = &[
    "Cloud Storage",
    "Collaboration",
    "Webmail",
    "Development Tools",
    "Generative AI",
    "Social Media",
    "HR",
    "CRM",
];
const ACTIVITIES: &[&str] = &[
    "Upload",
    "Download",
    "Login Successful",
    "Share",
    "View",
    "Edit",
    "Delete",
    "Post",
];
const ALERT_TYPES: &[&str] = &[
    "policy",
    "DLP",
    "Malware",
    "malsite",
    "uba",
    "Compromised Credential",
    "watchlist",
    "quarantine",
    "anomaly",
    "Security Assessment",
    "ctep",
    "Remediation",
    "Device",
    "Content",
];
const WORDS: &[&str] = &[
    "quarterly",
    "report",
    "Windows",
    "10",
    "Chrome",
    "133.0.0.0",
    "allow",
    "block",
    "managed",
    "unmanaged",
    "Frankfurt",
    "São Paulo",
    "東京",
    "Zürich",
    "Client",
    "Reverse Proxy",
    "API",
    "finance",
    "engineering",
    "C:\\Users\\alice\\Documents",
    "N/A",
    "",
    "-",
    "unknown",
];
const PLACEHOLDERS: &[&str] = &["", "N/A", "-", "None", "n/a"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    V1,
    V2,
}

/// One column candidate: name and kind.
struct Key {
    name: &'static str,
    kind: ColumnKind,
}

fn keys_of(table: Table) -> Vec<Key> {
    columns(table)
        .iter()
        .filter(|c| !matches!(c.kind, ColumnKind::LocalTimestamp) && !c.name.starts_with("_extra"))
        .filter(|c| !matches!(c.name, "type" | "alert" | "alert_type" | "record_type"))
        .map(|c| Key {
            name: c.name,
            kind: c.kind,
        })
        .collect()
}

/// Appends a JSON string literal; V1 escapes `/` and non-ASCII as `\uXXXX`, like the v1 API.
fn push_str(out: &mut String, s: &str, shape: Shape) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if shape == Shape::V1 => out.push_str("\\/"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if shape == Shape::V1 && !c.is_ascii() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn string_value(rng: &mut Rng, name: &str) -> String {
    // Real exports leave many fields empty or defaulted.
    if rng.chance(3500) {
        return rng.pick(PLACEHOLDERS).to_string();
    }
    if name.contains("user") || name.contains("email") || name == "from_user" || name == "owner" {
        rng.pick(USERS).to_string()
    } else if name.contains("app") && !name.contains("session") {
        rng.pick(APPS).to_string()
    } else if name.contains("categor") {
        rng.pick(CATEGORIES).to_string()
    } else if name.contains("activity") {
        rng.pick(ACTIVITIES).to_string()
    } else if name.contains("url") || name.contains("referer") {
        format!(
            "https://{}.example.com/f/{}",
            rng.pick(&["www", "app", "files", "login"]),
            rng.below(1 << 20)
        )
    } else if name.contains("ip") && name.len() <= 8 {
        format!(
            "{}.{}.{}.{}",
            rng.pick(&[192, 198, 203]),
            rng.pick(&[0, 51, 113]),
            rng.below(256),
            rng.below(256)
        )
    } else if name.contains("host") || name.contains("domain") || name.contains("site") {
        format!(
            "{}.example.{}",
            rng.pick(&["files", "cdn", "mail", "api"]),
            rng.pick(&["com", "org", "net"])
        )
    } else if name == "src_time" {
        format!(
            "Tue Mar {:>2} {:02}:{:02}:{:02} 2025",
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60)
        )
    } else if name.contains("hash") || name.contains("md5") || name.contains("sha") || name == "_id"
    {
        format!("{:016x}{:016x}", rng.next(), rng.next())
    } else {
        let n = 1 + rng.below(4) / 3;
        (0..n)
            .map(|_| rng.pick(WORDS))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `clean`: one JSON type per key (the application-only corpus that generic readers can load).
fn push_value(out: &mut String, rng: &mut Rng, key: &Key, shape: Shape, clean: bool) {
    let quoted = !clean && shape == Shape::V1 && rng.chance(3000); // numbers as strings, mostly in V1
    match key.kind {
        ColumnKind::Int64 => {
            let v = if key.name.ends_with("_id") || key.name.ends_with("id") {
                rng.next() >> 1 // 63-bit IDs
            } else if rng.chance(2000) {
                0
            } else {
                rng.below(100_000)
            };
            if quoted {
                let _ = write!(out, "\"{v}\"");
            } else {
                let _ = write!(out, "{v}");
            }
        }
        ColumnKind::Float64 => {
            let v = (rng.below(36_000_000) as f64) / 100_000.0 - 180.0;
            if !clean && rng.chance(300) {
                out.push_str("\"-119.7257|45.8234\"");
            } else {
                let _ = write!(out, "{v}");
            }
        }
        ColumnKind::Bool if clean => out.push_str(rng.pick(&["\"yes\"", "\"no\""])),
        ColumnKind::Bool => {
            out.push_str(rng.pick(&["\"yes\"", "\"no\"", "true", "false", "\"true\"", "\"No\""]))
        }
        ColumnKind::Timestamp => {
            let s = 1_735_689_600 + rng.below(31_536_000);
            if rng.chance(1000) {
                out.push('0');
            } else if key.name.starts_with("_ef") || key.name.ends_with("_at") {
                let _ = write!(out, "{}", s * 1000 + rng.below(1000));
            } else {
                let _ = write!(out, "{s}");
            }
        }
        ColumnKind::StringList => {
            out.push('[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, rng.pick(CATEGORIES), shape);
            }
            out.push(']');
        }
        ColumnKind::Json => {
            if clean && rng.chance(7000) {
                out.push_str("null");
            } else if !clean && rng.chance(7000) {
                out.push_str(rng.pick(&["\"-\"", "[]", "{}", "null"]));
            } else {
                let _ = write!(
                    out,
                    "[{{\"dlp_rule\":\"PCI-{}\",\"dlp_rule_count\":{},\"dlp_rules\":[{{\"rule\":\"cc\",\"score\":{}}}]}}]",
                    rng.below(100),
                    rng.below(20),
                    rng.below(100)
                );
            }
        }
        ColumnKind::SupportingData => {
            out.push_str("{\"data_type\":\"user\",\"data_values\":[");
            push_str(out, rng.pick(USERS), shape);
            if clean {
                out.push_str("]}");
            } else {
                let _ = write!(out, ",{},true]}}", rng.below(1000));
            }
        }
        ColumnKind::String | ColumnKind::LocalTimestamp => {
            let s = string_value(rng, key.name);
            push_str(out, &s, shape);
        }
    }
}

/// What a record is generated as, and the table it must land in.
#[derive(Clone, Copy)]
enum Kind {
    Audit,
    Application,
    Alert,
}

fn record(
    out: &mut String,
    rng: &mut Rng,
    kind: Kind,
    shape: Shape,
    clean: bool,
    keys: &[Vec<Key>; 3],
) {
    out.push('{');
    match kind {
        Kind::Audit => out.push_str("\"type\":\"admin_audit_logs\""),
        Kind::Application => {
            out.push_str("\"type\":\"nspolicy\",\"alert\":");
            out.push_str(if shape == Shape::V1 {
                "\"no\""
            } else {
                "\"no\",\"record_type\":\"application\""
            });
        }
        Kind::Alert => {
            out.push_str("\"type\":\"nspolicy\",\"alert\":\"yes\",\"alert_type\":");
            let t = rng.pick(ALERT_TYPES);
            let t = if shape == Shape::V2 {
                t.to_ascii_lowercase()
            } else {
                t.to_string()
            };
            push_str(out, &t, shape);
        }
    }
    let (candidates, lo, hi) = match kind {
        Kind::Audit => (&keys[0], 9, 13),
        Kind::Application => (&keys[1], 120, 150),
        Kind::Alert => (&keys[2], 150, 180),
    };
    // A stable order (as Netskope sends it) over a random subset of about `lo..hi` keys.
    let want = (lo + rng.below(hi - lo + 1)) as usize;
    let n = candidates.len();
    for (i, key) in candidates.iter().enumerate() {
        if rng.below(n as u64) >= want as u64 && i >= 6 {
            continue;
        }
        out.push(',');
        push_str(out, key.name, shape);
        out.push(':');
        push_value(out, rng, key, shape, clean);
    }
    // Unknown keys (misspelt, internal, new): they land in `_extra`. The mixed corpus also
    // repeats some (duplicate keys exist in real exports).
    const UNKNOWN: &[&str] = &[
        "serverity",
        "_gef_src_dp",
        "x_custom_attr",
        "x_tenant_tag",
        "x_src_region",
        "x_custom_label",
    ];
    let first = rng.below(UNKNOWN.len() as u64) as usize;
    for i in 0..rng.below(4) as usize {
        let name = if clean {
            UNKNOWN[(first + i) % UNKNOWN.len()]
        } else {
            rng.pick(UNKNOWN)
        };
        let _ = write!(out, ",\"{name}\":");
        push_str(out, &string_value(rng, name), shape);
    }
    out.push('}');
}

fn parse_size(s: &str) -> u64 {
    let s = s.trim();
    let (num, mult) = [
        ("GiB", 1u64 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
    ]
    .iter()
    .find_map(|(suffix, m)| s.strip_suffix(suffix).map(|n| (n, *m)))
    .unwrap_or((s, 1));
    num.trim()
        .parse::<f64>()
        .map(|n| (n * mult as f64) as u64)
        .unwrap_or_else(|_| {
            eprintln!("bad --size {s:?}");
            std::process::exit(2)
        })
}

fn main() -> std::io::Result<()> {
    let mut size = 64u64 << 20;
    let mut mixed = true;
    let mut seed = 42u64;
    let mut out_path = String::from("bench-data/corpus.ndjson");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--size" => size = parse_size(&val()),
            "--mix" => mixed = val() != "application",
            "--seed" => seed = val().parse().expect("--seed takes an integer"),
            "--out" => out_path = val(),
            _ => {
                eprintln!("usage: gen_corpus [--size 1GiB] [--mix mixed|application] [--seed N] [--out PATH]");
                std::process::exit(2);
            }
        }
    }
    if let Some(dir) = std::path::Path::new(&out_path).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let keys = [
        keys_of(Table::Audit),
        keys_of(Table::Application),
        keys_of(Table::Alerts),
    ];
    let mut rng = Rng(seed);
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&out_path)?);
    let (mut written, mut lines, mut blank, mut rejects) = (0u64, 0u64, 0u64, 0u64);
    let mut rows = [0u64; 3];
    let mut line = String::with_capacity(8192);
    while written < size {
        line.clear();
        lines += 1;
        if mixed && rng.chance(2) {
            blank += 1;
            line.push('\n');
        } else {
            let r = rng.below(100);
            let kind = if !mixed || r < 55 {
                Kind::Application
            } else if r < 90 {
                Kind::Alert
            } else {
                Kind::Audit
            };
            let shape = if mixed && rng.below(2) == 0 {
                Shape::V1
            } else {
                Shape::V2
            };
            record(&mut line, &mut rng, kind, shape, !mixed, &keys);
            if mixed && rng.chance(1) {
                // A line cut by a network fault: always unbalanced, so a reject.
                let cut = 1 + rng.below(line.len() as u64 - 2) as usize;
                let cut = (0..=cut)
                    .rev()
                    .find(|&c| line.is_char_boundary(c))
                    .unwrap_or(1);
                line.truncate(cut.max(1));
                rejects += 1;
            } else {
                rows[kind as usize] += 1;
            }
            line.push('\n');
        }
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    w.flush()?;
    let truth = format!(
        "{{\"tables\":{{\"netskope_audit_events\":{},\"netskope_application_events\":{},\"netskope_alerts\":{}}},\"rows\":{},\"rejects\":{rejects},\"blank_lines\":{blank},\"lines\":{lines},\"bytes\":{written},\"seed\":{seed},\"mix\":\"{}\"}}\n",
        rows[0],
        rows[1],
        rows[2],
        rows.iter().sum::<u64>(),
        if mixed { "mixed" } else { "application" },
    );
    std::fs::write(format!("{out_path}.truth.json"), &truth)?;
    eprint!("{out_path}: {truth}");
    Ok(())
}
