//! `eventsift match --machine RULES --count` on the gzip-compressed CityLots corpus, read directly,
//! against the library's single-thread `Machine` on the same events already in memory, in one run,
//! with the COMBO rules (45 rules of every CL2 category). Both sides' per-rule counts are checked
//! against the corpus's expected counts before anything is timed, and the command's peak resident
//! memory is read from `/proc` while it runs.
//!
//! Corpus: the file `EVENTSIFT_CITYLOTS` names (checked against its published counts), else the
//! generated CityLots-shaped corpus (see `benches/workload/mod.rs`), written gzip-compressed to a
//! temporary file for the command; the library's counts are then checked against the reference
//! matcher's on the sample `cl2::Checked` names, and the command's against the library's on every
//! event.

#[path = "workload/mod.rs"]
mod cl2;

use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Runs the command; returns its stdout and its peak resident set (kB), sampled from
/// `/proc/PID/status` (`VmHWM`) until it exits.
fn run_cli(args: &[&str]) -> (String, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventsift"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("eventsift runs");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).expect("output"));
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (reader.join().expect("reader"), peak)
}

fn bench(c: &mut Criterion) {
    let corpus = cl2::corpus(None);
    let events = cl2::load(&corpus);
    let (sets, checked) = cl2::rule_sets(&corpus, &events);
    let set = sets.into_iter().find(|s| s.name == "COMBO").expect("COMBO");

    // The rules file the command reads: rule ids to pattern strings.
    let rules: serde_json::Map<String, serde_json::Value> =
        set.rules.iter().map(|(id, p, _)| (id.clone(), serde_json::Value::from(p.as_str()))).collect();
    let dir = std::env::temp_dir().join(format!("eventsift-bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rules_path = dir.join("combo-rules.json");
    std::fs::write(&rules_path, serde_json::to_string(&rules).expect("json")).expect("rules file");
    let rules_arg = rules_path.to_str().expect("path");
    let path = match &corpus {
        cl2::Corpus::File(p) => p.clone(),
        cl2::Corpus::Generated { .. } => {
            use std::io::Write;
            let p = dir.join("citylots-generated.json.gz");
            let file = std::fs::File::create(&p).expect("corpus file");
            let mut gz = flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::default());
            for e in events.iter() {
                gz.write_all(e.as_bytes()).and_then(|()| gz.write_all(b"\n")).expect("corpus written");
            }
            gz.finish().and_then(|mut w| w.flush()).expect("corpus written");
            p
        }
    };
    let corpus_arg = path.to_str().expect("path");
    let args = ["match", "--machine", rules_arg, corpus_arg, "--count"];

    // Counts first: the library (against the expected counts), then the command (against the
    // library's on every event, which are the expected ones when every event was checked).
    let machine = cl2::machine(&set, Some(eventsift::ReadMode::default()));
    cl2::assert_counts(&set, &cl2::count(&machine, &set, checked.events(&events).iter().copied()));
    let expected = cl2::count(&machine, &set, events.iter());
    let (out, peak_kb) = run_cli(&args);
    let by_id: std::collections::HashMap<&str, u64> =
        out.lines().filter_map(|l| l.split_once('\t')).map(|(n, id)| (id, n.parse().expect("count"))).collect();
    let cli_counts: Vec<u64> =
        set.rules.iter().map(|(id, _, _)| by_id.get(id.as_str()).copied().unwrap_or(u64::MAX)).collect();
    assert_eq!(cli_counts, expected, "eventsift match --machine: per-rule counts differ from the library's");
    eprintln!("eventsift match --machine --count: peak resident set {:.1} MB", peak_kb as f64 / 1024.0);
    assert!(peak_kb < 64 * 1024, "peak resident set {peak_kb} kB is over 64 MB");

    let mut group = c.benchmark_group("cli/COMBO");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("library Machine (events in memory)", |b| {
        let mut scratch = machine.scratch();
        b.iter(|| {
            let mut n = 0usize;
            for e in events.iter() {
                n += machine.matches(e, &mut scratch).expect("valid").len();
            }
            n
        })
    });
    group.bench_function("eventsift match --machine --count (gzip file)", |b| b.iter(|| run_cli(&args).0.len()));
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
