//! Command-line interface. Exit codes: 0 success, 1 invalid pattern, 2 usage or I/O error.

use std::fs;
use std::io::{self, BufRead, BufWriter, Read, Write};

use eventsift::{Dialect, Pattern, PatternBuilder};

const USAGE: &str = "\
eventsift — EventBridge event patterns, checked and matched as AWS does

USAGE:
    eventsift check [--dialect D] FILE...
        Validate pattern files. Exit 0 when all are valid, 1 when any is invalid
        (diagnostics with file:line:column and carets on stderr), 2 on usage or I/O errors.

    eventsift match [--dialect D] PATTERN_FILE [EVENTS_FILE|-]
        Read events as JSON Lines (default: standard input) and print `true` or `false`
        per event, in order. A line that is not a valid JSON object prints
        `error: <reason>` and processing continues. Blank lines are skipped.
        Exit 0 unless the pattern is invalid (1) or a file cannot be read (2).

OPTIONS:
    --dialect D    EventBridge (default), Pipes or LambdaEsm
    -h, --help     Print this help
    -V, --version  Print the version
";

/// Runs the command line; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return 2;
    };
    match command.as_str() {
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            0
        }
        "-V" | "--version" => {
            println!("eventsift {}", env!("CARGO_PKG_VERSION"));
            0
        }
        "check" => with_options(rest, check),
        "match" => with_options(rest, match_events),
        other => usage_error(&format!("unknown command '{other}'")),
    }
}

fn usage_error(message: &str) -> i32 {
    eprintln!("eventsift: {message}\n\n{USAGE}");
    2
}

/// Parses `--dialect` and collects positional arguments, then runs `command`.
fn with_options(args: &[String], command: fn(&PatternBuilder, &[String]) -> i32) -> i32 {
    let mut builder = Pattern::builder();
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let dialect = match arg.as_str() {
            "--dialect" => match it.next() {
                Some(d) => d.as_str(),
                None => return usage_error("--dialect needs a value"),
            },
            a if a.starts_with("--dialect=") => &a["--dialect=".len()..],
            "-h" | "--help" => {
                print!("{USAGE}");
                return 0;
            }
            "-" => {
                positional.push(arg.clone());
                continue;
            }
            a if a.starts_with('-') => return usage_error(&format!("unknown option '{a}'")),
            _ => {
                positional.push(arg.clone());
                continue;
            }
        };
        match Dialect::from_name(dialect) {
            Some(d) => builder = builder.dialect(d),
            None => return usage_error(&format!("unknown dialect '{dialect}' (EventBridge, Pipes, LambdaEsm)")),
        }
    }
    command(&builder, &positional)
}

fn read_file(path: &str) -> Result<String, i32> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("eventsift: cannot read {path}: {e}");
            return Err(2);
        }
    };
    String::from_utf8(bytes).map_err(|e| {
        eprintln!("eventsift: {path}: not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to());
        1
    })
}

fn compile(builder: &PatternBuilder, path: &str) -> Result<Pattern, i32> {
    let text = read_file(path)?;
    builder.build(&text).map_err(|e| {
        eprintln!("{path}:{e:#}");
        eprintln!("  = kind: {}", e.kind());
        1
    })
}

fn check(builder: &PatternBuilder, files: &[String]) -> i32 {
    if files.is_empty() {
        return usage_error("check needs at least one FILE");
    }
    let mut worst = 0;
    for path in files {
        match compile(builder, path) {
            Ok(_) => {}
            Err(code) => worst = worst.max(code),
        }
    }
    worst
}

fn match_events(builder: &PatternBuilder, args: &[String]) -> i32 {
    let (pattern_path, events_path) = match args {
        [p] => (p, None),
        [p, e] => (p, Some(e.as_str())),
        _ => return usage_error("match needs PATTERN_FILE and optionally EVENTS_FILE"),
    };
    let pattern = match compile(builder, pattern_path) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let input: Box<dyn Read> = match events_path {
        None | Some("-") => Box::new(io::stdin().lock()),
        Some(path) => match fs::File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("eventsift: cannot read {path}: {e}");
                return 2;
            }
        },
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for line in io::BufReader::with_capacity(1 << 16, input).split(b'\n') {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("eventsift: read error: {e}");
                return 2;
            }
        };
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let written = match pattern.matches_bytes(line) {
            Ok(verdict) => writeln!(out, "{verdict}"),
            Err(e) => writeln!(out, "error: {e}"),
        };
        if written.is_err() {
            return 0; // the reader went away (e.g. `| head`)
        }
    }
    if out.flush().is_err() {
        return 0;
    }
    0
}
