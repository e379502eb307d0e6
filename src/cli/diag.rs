//! Diagnostics and their output formats: human (carets, rendered by annotate-snippets as rustc and
//! cargo render theirs), JSON Lines, SARIF 2.1.0 and GitHub workflow commands.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use serde_json::{json, Value};

use super::doc::line_col;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding, located in the file the user edits.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable: an `ErrorKind` name for invalid patterns (`InvalidPrefix`), a lint code
    /// (`wrong-data-key`), or a template code (`unresolved-intrinsic`).
    pub code: String,
    pub message: String,
    /// Index into the report's files.
    pub file: usize,
    /// Bytes in the file.
    pub span: Range<usize>,
    /// What holds the filter: `resource OrdersRule (AWS::Events::Rule), EventPattern`.
    pub context: Option<String>,
    pub help: Option<String>,
}

/// A file read by `check`, and what it was taken for.
pub struct FileReport {
    pub path: String,
    pub text: String,
    /// `pattern`, `criteria`, `cloudformation`, `serverless`, `terraform-plan`, `skipped`, …
    pub taken_as: String,
    /// Filters (patterns) found and checked.
    pub filters: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

pub struct Report {
    pub files: Vec<FileReport>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == severity).count()
    }

    fn position(&self, d: &Diagnostic) -> (usize, usize, usize, usize) {
        let text = &self.files[d.file].text;
        let (line, col) = line_col(text, d.span.start);
        let (end_line, end_col) = line_col(text, d.span.end.max(d.span.start));
        (line, col, end_line, end_col)
    }
}

/// Renders one diagnostic as a person reads it.
pub fn human(report: &Report, d: &Diagnostic, color: bool) -> String {
    let file = &report.files[d.file];
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    };
    let title = d.message.clone();
    let path = file.path.clone();
    let mut span = d.span.start.min(file.text.len())..d.span.end.min(file.text.len());
    while !file.text.is_char_boundary(span.start) {
        span.start -= 1;
    }
    while !file.text.is_char_boundary(span.end) {
        span.end += 1;
    }
    let label = d.context.clone().unwrap_or_default();
    let snippet = if file.text.is_empty() {
        Snippet::source(" ").path(path).annotation(AnnotationKind::Primary.span(0..0))
    } else {
        Snippet::source(file.text.as_str()).path(path).annotation(AnnotationKind::Primary.span(span).label(label))
    };
    let mut group = level.primary_title(title).id(d.code.as_str()).element(snippet);
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    renderer.render(&[group])
}

/// The JSON object of one diagnostic (the `--format json` schema, documented in the README).
pub fn json_diagnostic(report: &Report, d: &Diagnostic) -> Value {
    let (line, column, end_line, end_column) = report.position(d);
    json!({
        "type": "diagnostic",
        "severity": d.severity.name(),
        "code": d.code,
        "message": d.message,
        "file": report.files[d.file].path,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "byte_start": d.span.start,
        "byte_end": d.span.end,
        "context": d.context,
        "help": d.help,
    })
}

/// Writes the whole report in `format`. Human output goes to stderr (diagnostics), the others to
/// stdout (data).
pub fn emit(report: &Report, format: Format, color: bool, verbose: bool) -> io::Result<()> {
    match format {
        Format::Human => {
            let mut err = io::stderr().lock();
            if verbose {
                for f in &report.files {
                    writeln!(err, "{}: {}{}", f.path, f.taken_as, filters_note(f))?;
                }
            }
            for d in &report.diagnostics {
                writeln!(err, "{}", human(report, d, color))?;
            }
            let (e, w, n) =
                (report.count(Severity::Error), report.count(Severity::Warning), report.count(Severity::Note));
            let checked: usize = report.files.iter().map(|f| f.filters).sum();
            let files = report.files.iter().filter(|f| f.taken_as != "skipped").count();
            writeln!(
                err,
                "checked {checked} filter{} in {files} file{}: {e} error{}, {w} warning{}, {n} note{}",
                plural(checked),
                plural(files),
                plural(e),
                plural(w),
                plural(n)
            )
        }
        Format::Json => {
            let mut out = io::stdout().lock();
            for f in &report.files {
                let v = json!({"type": "file", "file": f.path, "taken_as": f.taken_as, "filters": f.filters});
                writeln!(out, "{v}")?;
            }
            for d in &report.diagnostics {
                writeln!(out, "{}", json_diagnostic(report, d))?;
            }
            let v = json!({
                "type": "summary",
                "files": report.files.len(),
                "filters": report.files.iter().map(|f| f.filters).sum::<usize>(),
                "errors": report.count(Severity::Error),
                "warnings": report.count(Severity::Warning),
                "notes": report.count(Severity::Note),
            });
            writeln!(out, "{v}")
        }
        Format::Sarif => {
            let mut out = io::stdout().lock();
            writeln!(out, "{}", serde_json::to_string_pretty(&sarif(report)).unwrap_or_default())
        }
        Format::Github => {
            let mut out = io::stdout().lock();
            for d in &report.diagnostics {
                writeln!(out, "{}", github(report, d))?;
            }
            Ok(())
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn filters_note(f: &FileReport) -> String {
    if f.taken_as == "skipped" {
        String::new()
    } else {
        format!(" ({} filter{})", f.filters, plural(f.filters))
    }
}

/// A GitHub Actions workflow command.
pub fn github(report: &Report, d: &Diagnostic) -> String {
    let (line, col, end_line, end_col) = report.position(d);
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let mut message = d.message.clone();
    if let Some(c) = &d.context {
        let _ = write!(message, " ({c})");
    }
    if let Some(h) = &d.help {
        let _ = write!(message, "\nhelp: {h}");
    }
    format!(
        "::{command} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}",
        escape_property(&report.files[d.file].path),
        escape_property(&format!("eventsift {}", d.code)),
        escape_data(&message)
    )
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Short descriptions of the codes, for SARIF's rule table.
fn rule_description(code: &str) -> &'static str {
    match code {
        "unresolved-intrinsic" => "The pattern is built by an intrinsic function and cannot be checked statically",
        "template-placeholder" => "A pattern value holds unresolved template text",
        "wrong-data-key" => "The filter addresses the data property of another event source",
        "unknown-record-field" => "The filter addresses a top-level field that the source's records never have",
        "empty-criteria" => "A FilterCriteria with no filters lets every record through",
        "too-many-filters" => "More filters than the event-source mapping allows",
        "pattern-not-string" => "A FilterCriteria Pattern must be a JSON string",
        "unreadable-file" => "The file is not valid JSON or YAML",
        "poller-field"
        | "numeric-on-dynamodb-number"
        | "missing-type-key"
        | "unknown-type-key"
        | "exists-false-on-attribute"
        | "image-absent-for-event"
        | "image-absent-for-stream"
        | "data-json-and-text"
        | "data-pattern-on-text"
        | "text-pattern-on-json" => "A filter that can never do what was meant",
        _ => "The pattern is invalid",
    }
}

/// The report as SARIF 2.1.0.
pub fn sarif(report: &Report) -> Value {
    let mut codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c,
                "name": c,
                "shortDescription": {"text": rule_description(c)},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let (line, col, end_line, end_col) = report.position(d);
            let mut text = d.message.clone();
            if let Some(c) = &d.context {
                let _ = write!(text, " ({c})");
            }
            if let Some(h) = &d.help {
                let _ = write!(text, " Help: {h}");
            }
            json!({
                "ruleId": d.code,
                "ruleIndex": codes.iter().position(|c| *c == d.code).unwrap_or(0),
                "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning", Severity::Note => "note" },
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&report.files[d.file].path)},
                        "region": {
                            "startLine": line,
                            "startColumn": col,
                            "endLine": end_line,
                            "endColumn": end_col.max(if end_line == line { col + 1 } else { 1 }),
                        }
                    }
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "eventsift",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A relative path as a URI reference (forward slashes, spaces and `%` escaped).
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut out = String::with_capacity(p.len());
    for c in p.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}
