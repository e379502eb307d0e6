//! Command-line interface. Exit codes: 0 success, 1 findings (invalid filters, failed tests, no
//! match for `explain`), 2 usage or I/O error. Data goes to stdout, diagnostics to stderr.

mod check;
mod diag;
mod doc;
mod find;
mod stream;
#[cfg(feature = "streams")]
mod tail;
mod testfile;

use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use eventsift::lambda::{DataFormat, Filter, LintOptions, Mismatch, StreamViewType};
use eventsift::{Dialect, Pattern, Source};

const EXAMPLES: &str = "\
Examples:
  eventsift check template.yaml                 validate every filter in a SAM/CloudFormation template
  eventsift check . --format github             a repository, as GitHub annotations
  eventsift test filters.test.yaml              run filter unit tests
  eventsift explain pattern.json event.json     why an event matches or not
  eventsift filter --source dynamodb --criteria criteria.json batch.json
  eventsift match --machine rules.json events.jsonl.gz --count";

#[derive(Parser)]
#[command(
    name = "eventsift",
    version,
    about = "EventBridge event patterns and Lambda filter criteria, checked and matched as AWS does",
    after_help = EXAMPLES,
    propagate_version = true
)]
struct Cli {
    /// When to color output: auto (a terminal, and NO_COLOR unset), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Find and validate filters: pattern and FilterCriteria files, CloudFormation/SAM templates
    /// (YAML or JSON, CDK synth output included), serverless.yml, Terraform plans (JSON).
    #[command(after_help = "\
Examples:
  eventsift check template.yaml
  eventsift check cdk.out                        CDK synth output (*.template.json)
  eventsift check . --format sarif > eventsift.sarif
  eventsift check filter.json --dialect EventBridge
  terraform show -json plan.out > plan.json && eventsift check plan.json

Directories are read recursively (.json, .yaml, .yml, .template), skipping .git, node_modules,
target, cdk.out, .aws-sam, .serverless and .terraform unless named. Exit 0 when clean, 1 on errors
(or warnings with --deny-warnings), 2 on usage or I/O errors.")]
    Check(CheckArgs),
    /// Run filter unit tests: patterns or criteria with events and their expected verdicts.
    #[command(after_help = "\
Example test file (YAML or JSON):
  tests:
    - name: running instances
      pattern: {source: [aws.ec2], detail: {state: [running]}}
      cases:
        - event: {source: aws.ec2, detail: {state: running}}
          match: true
        - event_file: events/stopped.json
          match: false

Prints one line per case and a closing `N passed, N failed`; exit 1 when a case fails.")]
    Test(TestArgs),
    /// Explain why an event matches a pattern (or a record a FilterCriteria) or not.
    #[command(after_help = "\
Examples:
  eventsift explain pattern.json event.json
  eventsift explain '{\"detail\": {\"state\": [\"running\"]}}' '{\"detail\": {\"state\": \"stopped\"}}'
  eventsift explain --criteria criteria.json --source sqs record.json

PATTERN and EVENT are file paths, inline JSON, or - for standard input. Exit 0 on a match, 1 on no
match, 2 on usage or input errors.")]
    Explain(ExplainArgs),
    /// Apply a FilterCriteria as a Lambda event-source mapping does, to an invocation event or to
    /// JSON Lines of records (gzip read directly).
    #[command(after_help = "\
Examples:
  eventsift filter --source dynamodb --criteria criteria.json batch.json
  eventsift filter --source sqs --criteria criteria.json records.jsonl.gz --count
  cat records.jsonl | eventsift filter --source kinesis --criteria criteria.json --invert")]
    Filter(FilterArgs),
    /// Match events (JSON Lines, gzip read directly) against one pattern, printing true/false per
    /// event, or against many named rules (--machine), printing the ids each event matches.
    #[command(after_help = "\
Examples:
  eventsift match pattern.json events.jsonl
  eventsift match --machine rules.json events.jsonl.gz --count

A rules file is a JSON or YAML object of rule ids to patterns (objects, or pattern strings).")]
    Match(MatchArgs),
    /// Follow a live DynamoDB or Kinesis stream and print, as JSON Lines, what a Lambda function
    /// with these filter criteria would receive.
    #[cfg(feature = "streams")]
    #[command(after_help = "\
Examples:
  eventsift tail --table Orders --criteria criteria.json
  eventsift tail --kinesis-stream clicks --from trim-horizon --criteria criteria.json
  eventsift tail --stream-arn ARN --from checkpoint cp.json --endpoint-url http://127.0.0.1:5000

Credentials and region come from the standard AWS chain (environment, profile, instance role).
Records go to stdout, one JSON line each, flushed per batch; a summary per shard goes to stderr at
exit, and a progress line while stderr is a terminal. Ctrl-C or SIGTERM stops it cleanly: what was
printed is checkpointed (with --from checkpoint FILE).")]
    Tail(tail::TailArgs),
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  eventsift completions bash > /etc/bash_completion.d/eventsift")]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(Clone, Copy, Default, ValueEnum, PartialEq, Eq)]
enum FormatArg {
    /// Diagnostics with carets on stderr.
    #[default]
    Human,
    /// JSON Lines on stdout: one object per file, per diagnostic, and a summary.
    Json,
    /// SARIF 2.1.0 on stdout (for code-scanning uploads).
    Sarif,
    /// GitHub workflow commands on stdout (inline annotations).
    Github,
}

#[derive(Args)]
struct LintArgs {
    /// KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES: what the DynamoDB stream carries.
    #[arg(long, value_parser = parse_view_type)]
    stream_view_type: Option<StreamViewType>,
    /// json or text: what the payloads (data property) are known to be.
    #[arg(long, value_parser = parse_data_format)]
    data_format: Option<DataFormat>,
}

impl LintArgs {
    fn options(&self) -> LintOptions {
        let mut o = LintOptions::default();
        if let Some(t) = self.stream_view_type {
            o = o.stream_view_type(t);
        }
        if let Some(f) = self.data_format {
            o = o.data_format(f);
        }
        o
    }
}

#[derive(Args)]
struct CheckArgs {
    /// Files or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Take every named file for a pattern in this dialect: EventBridge, Pipes or LambdaEsm.
    #[arg(long, value_parser = parse_dialect)]
    dialect: Option<Dialect>,
    /// The source of criteria whose event source is not known: dynamodb, kinesis, sqs, kafka, mq, raw.
    #[arg(long, value_parser = parse_source)]
    source: Option<Source>,
    #[command(flatten)]
    lint: LintArgs,
    /// Filters allowed per FilterCriteria (default 5; AWS can raise the quota to 10).
    #[arg(long, default_value_t = eventsift::lambda::DEFAULT_MAX_FILTERS, value_parser = parse_max_filters)]
    max_filters: usize,
    /// Exit 1 when there are warnings.
    #[arg(long)]
    deny_warnings: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: FormatArg,
    /// Say what each file was taken for (pattern, criteria, template, …).
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Args)]
struct TestArgs {
    /// Test files (YAML or JSON).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print only failures and the closing line.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
struct ExplainArgs {
    /// The pattern (or with --criteria, the FilterCriteria): a file, inline JSON, or -.
    pattern: String,
    /// The event (or record): a file, inline JSON, or -.
    event: String,
    /// PATTERN is a FilterCriteria document and EVENT a record of --source.
    #[arg(long)]
    criteria: bool,
    /// The record's source, with --criteria: dynamodb, kinesis, sqs, kafka, mq or raw.
    #[arg(long, value_parser = parse_source)]
    source: Option<Source>,
    /// The pattern's dialect: EventBridge (default), Pipes or LambdaEsm.
    #[arg(long, value_parser = parse_dialect)]
    dialect: Option<Dialect>,
    /// human (default) or json.
    #[arg(long, value_enum, default_value_t)]
    format: FormatArg,
}

#[derive(Args)]
struct FilterArgs {
    /// The FilterCriteria document ({"Filters": [...]}).
    #[arg(long)]
    criteria: PathBuf,
    /// dynamodb, kinesis, sqs, kafka, mq or raw.
    #[arg(long, value_parser = parse_source)]
    source: Source,
    /// drop (default) or ignore: what a filter does when the payload is not in the form its
    /// pattern expects (JSON vs plain text).
    #[arg(long, default_value = "drop", value_parser = parse_mismatch)]
    mismatch: Mismatch,
    /// Filters allowed (default 5, at most 10).
    #[arg(long, default_value_t = eventsift::lambda::DEFAULT_MAX_FILTERS, value_parser = parse_max_filters)]
    max_filters: usize,
    /// Validate every record in full.
    #[arg(long)]
    strict: bool,
    /// Read INPUT as one invocation event.
    #[arg(long, conflicts_with = "records")]
    batch: bool,
    /// Read INPUT as JSON Lines of records.
    #[arg(long)]
    records: bool,
    /// Print only the number of records kept (dropped, with --invert).
    #[arg(long)]
    count: bool,
    /// Print the records that are dropped instead of those kept (JSON Lines input).
    #[arg(long)]
    invert: bool,
    /// No summary on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// The input (default: standard input); gzip is detected by its magic bytes.
    input: Option<PathBuf>,
}

#[derive(Args)]
struct MatchArgs {
    /// The pattern file (not with --machine).
    #[arg(required_unless_present = "machine")]
    pattern: Option<PathBuf>,
    /// Events as JSON Lines (default: standard input); gzip is detected by its magic bytes.
    events: Option<PathBuf>,
    /// A rules file (an object of rule ids to patterns): print each event's matching rule ids.
    #[arg(long)]
    machine: Option<PathBuf>,
    /// EventBridge (default), Pipes or LambdaEsm.
    #[arg(long, value_parser = parse_dialect)]
    dialect: Option<Dialect>,
    /// Print only counts: matching events (per rule too, with --machine).
    #[arg(long)]
    count: bool,
    /// Count or print the events that do not match.
    #[arg(long)]
    invert: bool,
    /// Threads that match events (default: one per CPU, at most 8). Output keeps the input's order.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,
}

fn parse_dialect(s: &str) -> Result<Dialect, String> {
    Dialect::from_name(s).ok_or_else(|| format!("unknown dialect '{s}' (EventBridge, Pipes, LambdaEsm)"))
}

fn parse_max_filters(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=eventsift::lambda::MAX_FILTERS).contains(&n) => Ok(n),
        _ => Err(format!("must be 1 to {}, not '{s}'", eventsift::lambda::MAX_FILTERS)),
    }
}

fn parse_source(s: &str) -> Result<Source, String> {
    s.parse()
}

fn parse_view_type(s: &str) -> Result<StreamViewType, String> {
    s.parse()
}

fn parse_data_format(s: &str) -> Result<DataFormat, String> {
    match s {
        "json" => Ok(DataFormat::Json),
        "text" => Ok(DataFormat::Text),
        _ => Err(format!("unknown data format '{s}' (json, text)")),
    }
}

fn parse_mismatch(s: &str) -> Result<Mismatch, String> {
    match s {
        "drop" => Ok(Mismatch::Drop),
        "ignore" => Ok(Mismatch::IgnoreDataConditions),
        _ => Err(format!("unknown mismatch policy '{s}' (drop, ignore)")),
    }
}

/// Runs the command line; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    let cli = match Cli::try_parse_from(std::iter::once("eventsift".to_string()).chain(args.iter().cloned())) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stderr().is_terminal(),
    };
    match cli.command {
        Command::Check(a) => run_check(a, color),
        Command::Test(a) => testfile::run(&a.files, a.quiet, color),
        Command::Explain(a) => run_explain(a),
        Command::Filter(a) => stream::filter(&a),
        Command::Match(a) => stream::match_events(&a),
        #[cfg(feature = "streams")]
        Command::Tail(a) => tail::run(a),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "eventsift", &mut script);
            out(&String::from_utf8_lossy(&script));
            0
        }
    }
}

/// Writes data to stdout; a reader that went away (`| head`) is not an error, and never a panic.
fn out(text: &str) {
    use std::io::Write;
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush());
}

fn run_check(a: CheckArgs, color: bool) -> i32 {
    let options = check::CheckOptions {
        dialect: a.dialect,
        source: a.source,
        lint: a.lint.options(),
        max_filters: a.max_filters,
    };
    let (report, io_error) = check::check(&a.paths, &options);
    let format = match a.format {
        FormatArg::Human => diag::Format::Human,
        FormatArg::Json => diag::Format::Json,
        FormatArg::Sarif => diag::Format::Sarif,
        FormatArg::Github => diag::Format::Github,
    };
    if diag::emit(&report, format, color, a.verbose).is_err() {
        return 2;
    }
    let errors = report.count(diag::Severity::Error);
    let warnings = report.count(diag::Severity::Warning);
    if io_error {
        2
    } else if errors > 0 || (a.deny_warnings && warnings > 0) {
        1
    } else {
        0
    }
}

/// A file path, inline JSON (starts with `{`), or `-` for standard input.
fn read_arg(arg: &str) -> Result<(String, String), i32> {
    if arg == "-" {
        let mut s = String::new();
        return match io::stdin().read_to_string(&mut s) {
            Ok(_) => Ok(("<stdin>".into(), s)),
            Err(e) => {
                eprintln!("eventsift: cannot read standard input: {e}");
                Err(2)
            }
        };
    }
    if arg.trim_start().starts_with('{') {
        return Ok(("<argument>".into(), arg.to_string()));
    }
    read_text(Path::new(arg)).map(|t| (arg.to_string(), t))
}

fn read_text(path: &Path) -> Result<String, i32> {
    match std::fs::read(path) {
        Ok(b) => String::from_utf8(b).map_err(|e| {
            eprintln!("eventsift: {}: not valid UTF-8 (at byte {})", path.display(), e.utf8_error().valid_up_to());
            2
        }),
        Err(e) => {
            eprintln!("eventsift: cannot read {}: {e}", path.display());
            Err(2)
        }
    }
}

fn run_explain(a: ExplainArgs) -> i32 {
    let (pname, ptext) = match read_arg(&a.pattern) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let (ename, etext) = match read_arg(&a.event) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let json = a.format == FormatArg::Json;
    let explanations = if a.criteria {
        let source = a.source.unwrap_or_else(|| check::infer_source_from_document(&ptext));
        let filter = match Filter::builder(source).max_filters(eventsift::lambda::MAX_FILTERS).build(&ptext) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{pname}:{e:#}");
                return 2;
            }
        };
        let keep = match filter.matches(&etext) {
            Ok(k) => k,
            Err(e) => {
                eprintln!("{ename}:{e:#}");
                return 2;
            }
        };
        match filter.explain(&etext) {
            Ok(x) => {
                if json {
                    let v = serde_json::json!({
                        "kept": keep,
                        "source": source.name(),
                        "filters": x.iter().map(|e| e.to_json()).collect::<Vec<_>>(),
                    });
                    out(&format!("{v}\n"));
                } else {
                    let mut text = format!(
                        "{} ({source} record, {} filter{})\n",
                        if keep { "kept" } else { "dropped" },
                        x.len(),
                        if x.len() == 1 { "" } else { "s" }
                    );
                    for (i, e) in x.iter().enumerate() {
                        text.push_str(&format!("filter {i}: {e}\n"));
                    }
                    out(&text);
                }
                return if keep { 0 } else { 1 };
            }
            Err(e) => {
                eprintln!("{ename}:{e:#}");
                return 2;
            }
        }
    } else {
        let pattern = match Pattern::builder().dialect(a.dialect.unwrap_or_default()).build(&ptext) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{pname}:{e:#}");
                return 2;
            }
        };
        match pattern.explain(&etext) {
            Ok(x) => vec![x],
            Err(e) => {
                eprintln!("{ename}:{e:#}");
                return 2;
            }
        }
    };
    let x = &explanations[0];
    if json {
        out(&format!("{}\n", x.to_json()));
    } else {
        out(&x.to_string());
    }
    if x.matched {
        0
    } else {
        1
    }
}
