//! Command-line interface. Exit codes: 0 success, 1 invalid pattern, criteria or batch, 2 usage or
//! I/O error.

use std::fs;
use std::io::{self, BufRead, BufWriter, Read, Write};

use eventsift::lambda::{DataFormat, DropReason, Filter, FilterBuilder, LintOptions, Mismatch};
use eventsift::{Dialect, Pattern, PatternBuilder, Source};

const USAGE: &str = r#"eventsift — EventBridge event patterns, checked and matched as AWS does

USAGE:
    eventsift check [--dialect D] [--source S] [LINT OPTIONS] FILE...
        Validate pattern files and Lambda FilterCriteria files ({"Filters": [...]}).
        Exit 0 when all are valid, 1 when any is invalid (diagnostics with
        file:line:column and carets on stderr), 2 on usage or I/O errors.
        FilterCriteria files are also linted: warnings for filters that are valid
        but can never do what was meant (exit 0 unless --deny-warnings).

    eventsift filter --criteria FILE --source S [FILTER OPTIONS] [INPUT|-]
        Apply a FilterCriteria as a Lambda event-source mapping does. INPUT (default:
        standard input) is a Lambda invocation event ({"Records": [...]}, Kafka
        "records", MQ "messages"), printed back with only the records that pass, or
        JSON Lines of records, of which the passing lines are printed. A summary
        (kept/dropped, and each dropped record's id and reason) goes to stderr.

    eventsift match [--dialect D] PATTERN_FILE [EVENTS_FILE|-]
        Read events as JSON Lines (default: standard input) and print `true` or `false`
        per event, in order. A line that is not a valid JSON object prints
        `error: <reason>` and processing continues. Blank lines are skipped.
        Exit 0 unless the pattern is invalid (1) or a file cannot be read (2).

OPTIONS:
    --dialect D    EventBridge (default), Pipes or LambdaEsm (patterns; criteria use LambdaEsm)
    --source S     dynamodb, kinesis, sqs, kafka, mq or raw (criteria; `check` infers it
                   from the data key the filters use when not given)

FILTER OPTIONS:
    --criteria FILE        the FilterCriteria document
    --mismatch M           drop (default) or ignore: what a filter does when the payload is
                           not in the form its pattern expects (JSON vs plain text)
    --max-filters N        filters allowed (default 5, at most 10)
    --strict               validate every record in full
    --batch | --records    read INPUT as one invocation event, or as JSON Lines of records
                           (default: an invocation event if it is one, else JSON Lines)
    --quiet                no summary on stderr

LINT OPTIONS:
    --stream-view-type T   KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES (DynamoDB)
    --data-format F        json or text: what the payloads are known to be
    --deny-warnings        exit 1 when there are warnings

GENERAL:
    -h, --help     Print this help
    -V, --version  Print the version
"#;

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
        "filter" => with_options(rest, filter_records),
        other => usage_error(&format!("unknown command '{other}'")),
    }
}

fn usage_error(message: &str) -> i32 {
    eprintln!("eventsift: {message}\n\n{USAGE}");
    2
}

/// How `filter` reads its input.
#[derive(Clone, Copy, PartialEq)]
enum InputForm {
    Auto,
    Batch,
    Records,
}

/// Everything the options say.
struct Options {
    pattern: PatternBuilder,
    source: Option<Source>,
    criteria: Option<String>,
    filter: Option<FilterBuilder>,
    mismatch: Mismatch,
    max_filters: usize,
    strict: bool,
    form: InputForm,
    quiet: bool,
    lint: LintOptions,
    deny_warnings: bool,
}

impl Options {
    fn filter_builder(&self, source: Source) -> FilterBuilder {
        let mut b = Filter::builder(source).mismatch(self.mismatch).max_filters(self.max_filters);
        if self.strict {
            b = b.read_mode(eventsift::ReadMode::Strict);
        }
        b
    }
}

/// Parses the options and collects positional arguments, then runs `command`.
fn with_options(args: &[String], command: fn(&Options, &[String]) -> i32) -> i32 {
    let mut o = Options {
        pattern: Pattern::builder(),
        source: None,
        criteria: None,
        filter: None,
        mismatch: Mismatch::Drop,
        max_filters: eventsift::lambda::DEFAULT_MAX_FILTERS,
        strict: false,
        form: InputForm::Auto,
        quiet: false,
        lint: LintOptions::default(),
        deny_warnings: false,
    };
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let takes_value = matches!(
            name,
            "--dialect"
                | "--source"
                | "--criteria"
                | "--mismatch"
                | "--max-filters"
                | "--stream-view-type"
                | "--data-format"
        );
        let value = if takes_value {
            match inline.or_else(|| it.next().cloned()) {
                Some(v) => v,
                None => return usage_error(&format!("{name} needs a value")),
            }
        } else {
            String::new()
        };
        match name {
            "--dialect" => match Dialect::from_name(&value) {
                Some(d) => o.pattern = o.pattern.dialect(d),
                None => return usage_error(&format!("unknown dialect '{value}' (EventBridge, Pipes, LambdaEsm)")),
            },
            "--source" => match value.parse() {
                Ok(s) => o.source = Some(s),
                Err(e) => return usage_error(&e),
            },
            "--criteria" => o.criteria = Some(value),
            "--mismatch" => {
                o.mismatch = match value.as_str() {
                    "drop" => Mismatch::Drop,
                    "ignore" => Mismatch::IgnoreDataConditions,
                    _ => return usage_error(&format!("unknown --mismatch '{value}' (drop, ignore)")),
                }
            }
            "--max-filters" => match value.parse::<usize>() {
                Ok(n) if (1..=eventsift::lambda::MAX_FILTERS).contains(&n) => o.max_filters = n,
                _ => return usage_error(&format!("--max-filters must be 1 to 10, not '{value}'")),
            },
            "--stream-view-type" => match value.parse() {
                Ok(t) => o.lint = o.lint.stream_view_type(t),
                Err(e) => return usage_error(&e),
            },
            "--data-format" => {
                o.lint = o.lint.data_format(match value.as_str() {
                    "json" => DataFormat::Json,
                    "text" => DataFormat::Text,
                    _ => return usage_error(&format!("unknown --data-format '{value}' (json, text)")),
                })
            }
            "--strict" => o.strict = true,
            "--batch" => o.form = InputForm::Batch,
            "--records" => o.form = InputForm::Records,
            "--quiet" | "-q" => o.quiet = true,
            "--deny-warnings" => o.deny_warnings = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                return 0;
            }
            "-" => positional.push(arg.clone()),
            a if a.starts_with('-') => return usage_error(&format!("unknown option '{a}'")),
            _ => positional.push(arg.clone()),
        }
    }
    if let Some(source) = o.source {
        o.filter = Some(o.filter_builder(source));
    }
    command(&o, &positional)
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
    compile_text(builder, path, &text)
}

fn compile_text(builder: &PatternBuilder, path: &str, text: &str) -> Result<Pattern, i32> {
    builder.build(text).map_err(|e| {
        eprintln!("{path}:{e:#}");
        eprintln!("  = kind: {}", e.kind());
        1
    })
}

/// Is `text` a FilterCriteria document rather than a pattern?
fn is_criteria(text: &str) -> bool {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with('{') && {
        let rest = t[1..].trim_start();
        rest.starts_with("\"Filters\"") || rest.starts_with("\"FilterCriteria\"") || rest.starts_with('}')
    }
}

/// The source whose data key the criteria's patterns use (for `check` without `--source`).
fn infer_source(text: &str) -> Source {
    let Ok(criteria) = eventsift::lambda::FilterCriteria::parse_lenient(text) else { return Source::Raw };
    let mut found = Source::Raw;
    for p in criteria.patterns() {
        let Ok(pattern) = Pattern::builder().dialect(Dialect::LambdaEsm).build(p) else { continue };
        for path in pattern.paths() {
            let first = path.split('.').next().unwrap_or_default();
            found = match first {
                "dynamodb" => Source::DynamoDb,
                "body" => Source::Sqs,
                "value" => Source::Kafka,
                "data" if path == "data" => Source::Mq,
                "data" | "partitionKey" => Source::Kinesis,
                _ => continue,
            };
            return found;
        }
    }
    found
}

fn compile_criteria(o: &Options, path: &str, text: &str) -> Result<(Filter, Source), i32> {
    let source = o.source.unwrap_or_else(|| infer_source(text));
    let builder = o.filter.clone().unwrap_or_else(|| o.filter_builder(source));
    builder.build(text).map(|f| (f, source)).map_err(|e| {
        eprintln!("{path}:{e:#}");
        eprintln!("  = kind: {}", e.kind());
        1
    })
}

fn check(o: &Options, files: &[String]) -> i32 {
    if files.is_empty() {
        return usage_error("check needs at least one FILE");
    }
    let mut worst = 0;
    for path in files {
        let text = match read_file(path) {
            Ok(t) => t,
            Err(code) => {
                worst = worst.max(code);
                continue;
            }
        };
        if !is_criteria(&text) {
            if let Err(code) = compile_text(&o.pattern, path, &text) {
                worst = worst.max(code);
            }
            continue;
        }
        match compile_criteria(o, path, &text) {
            Ok((filter, source)) => {
                let lints = filter.lints_with(&o.lint);
                for lint in &lints {
                    eprintln!("{path}:{lint}");
                }
                if o.source.is_none() && !lints.is_empty() {
                    eprintln!("{path}: (checked as {source} criteria; pass --source to choose)");
                }
                if o.deny_warnings && !lints.is_empty() {
                    worst = worst.max(1);
                }
            }
            Err(code) => worst = worst.max(code),
        }
    }
    worst
}

fn filter_records(o: &Options, args: &[String]) -> i32 {
    let input_path = match args {
        [] => None,
        [p] => Some(p.as_str()),
        _ => return usage_error("filter takes at most one INPUT"),
    };
    let Some(criteria_path) = &o.criteria else { return usage_error("filter needs --criteria FILE") };
    if o.source.is_none() {
        return usage_error("filter needs --source (dynamodb, kinesis, sqs, kafka, mq or raw)");
    }
    let criteria = match read_file(criteria_path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let (filter, _) = match compile_criteria(o, criteria_path, &criteria) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut input = Vec::new();
    let read = match input_path {
        None | Some("-") => io::stdin().lock().read_to_end(&mut input),
        Some(path) => fs::File::open(path).and_then(|mut f| f.read_to_end(&mut input)),
    };
    if let Err(e) = read {
        eprintln!("eventsift: cannot read {}: {e}", input_path.unwrap_or("standard input"));
        return 2;
    }
    let name = input_path.unwrap_or("<stdin>");
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let text = match std::str::from_utf8(&input) {
        Ok(t) => t,
        Err(e) if o.form == InputForm::Batch => {
            eprintln!("eventsift: {name}: not valid UTF-8 (at byte {})", e.valid_up_to());
            return 1;
        }
        Err(_) => "",
    };
    if o.form != InputForm::Records && !text.is_empty() {
        match filter.filter_batch(text) {
            Ok(batch) => {
                let _ = writeln!(out, "{}", batch.event);
                if !o.quiet {
                    for d in &batch.dropped {
                        eprintln!(
                            "dropped: record {} ({}): {}",
                            d.index,
                            d.id.as_deref().unwrap_or("no id"),
                            reason(&d.reason)
                        );
                    }
                    eprintln!("kept {}, dropped {}", batch.kept, batch.dropped.len());
                }
                let _ = out.flush();
                return 0;
            }
            Err(e) if o.form == InputForm::Batch || !looks_like_lines(text) => {
                eprintln!("{name}:{e:#}");
                eprintln!("  = kind: {}", e.kind());
                return 1;
            }
            Err(_) => {}
        }
    }
    // JSON Lines: one record per line.
    let (mut kept, mut dropped) = (0usize, 0usize);
    let mut scratch = eventsift::lambda::Scratch::default();
    for (n, line) in input.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let verdict = match std::str::from_utf8(line) {
            Ok(record) => filter.evaluate(record, &mut scratch).map(|v| v.keep).map_err(|e| e.to_string()),
            Err(e) => Err(format!("not valid UTF-8 (at byte {})", e.valid_up_to())),
        };
        match verdict {
            Ok(true) => {
                kept += 1;
                if out.write_all(line).and_then(|_| out.write_all(b"\n")).is_err() {
                    return 0;
                }
            }
            Ok(false) => dropped += 1,
            Err(e) => {
                dropped += 1;
                if !o.quiet {
                    eprintln!("dropped: line {}: invalid record: {e}", n + 1);
                }
            }
        }
    }
    if !o.quiet {
        eprintln!("kept {kept}, dropped {dropped}");
    }
    let _ = out.flush();
    0
}

/// More than one non-blank line, each starting like a JSON object.
fn looks_like_lines(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    lines.next().is_some_and(|l| l.trim_start().starts_with('{'))
        && lines.next().is_some_and(|l| l.trim_start().starts_with('{'))
}

fn reason(r: &DropReason) -> String {
    match r {
        DropReason::NoMatch { payload } => format!("no filter matched (payload: {payload:?})"),
        DropReason::Invalid(e) => format!("invalid record: {e}"),
        _ => "dropped".into(),
    }
}

fn match_events(o: &Options, args: &[String]) -> i32 {
    let builder = &o.pattern;
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
