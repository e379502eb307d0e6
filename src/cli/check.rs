//! `eventsift check`: find the filters in files and directories, check each in the dialect of its
//! service, lint it, and report every finding at its position in the file the user edits.

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};

use eventsift::lambda::{Filter, LintOptions};
use eventsift::{Dialect, Pattern, PatternBuilder, Source};

use super::diag::{Diagnostic, FileReport, Report, Severity};
use super::doc::{self, line_col, Node};
use super::find::{self, DocKind, PatternSite, Site};

/// Directories not entered unless named on the command line: version control, dependencies, build
/// output, and tools' copies of templates (`sam build`, `serverless package`, `cdk synth`).
pub const SKIPPED_DIRS: [&str; 7] =
    [".git", "node_modules", "target", "cdk.out", ".aws-sam", ".serverless", ".terraform"];

#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// `--dialect`: every named file is a pattern in this dialect.
    pub dialect: Option<Dialect>,
    /// `--source`: the source of criteria whose mapping does not say.
    pub source: Option<Source>,
    pub lint: LintOptions,
    pub max_filters: usize,
}

/// Checks `paths`; returns the report and whether some path could not be read (exit 2).
pub fn check(paths: &[PathBuf], o: &CheckOptions) -> (Report, bool) {
    let mut report = Report { files: Vec::new(), diagnostics: Vec::new() };
    let mut io_error = false;
    for path in paths {
        if path.is_dir() {
            let mut files = Vec::new();
            if let Err(e) = walk(path, &mut files) {
                eprintln!("eventsift: cannot read {}: {e}", path.display());
                io_error = true;
            }
            for f in files {
                check_file(&f, false, o, &mut report, &mut io_error);
            }
        } else {
            check_file(path, true, o, &mut report, &mut io_error);
        }
    }
    (report, io_error)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let Ok(meta) = fs::metadata(&p) else { continue };
        if meta.is_dir() {
            if !SKIPPED_DIRS.contains(&name) {
                walk(&p, out)?;
            }
        } else if has_extension(&p, &["json", "yaml", "yml", "template"]) {
            out.push(p);
        }
    }
    Ok(())
}

fn has_extension(p: &Path, exts: &[&str]) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn display(path: &Path) -> String {
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Is this text JSON rather than YAML (by its first character)?
fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start_matches('\u{feff}').trim_start().bytes().next(), Some(b'{' | b'['))
}

fn check_file(path: &Path, named: bool, o: &CheckOptions, report: &mut Report, io_error: &mut bool) {
    match fs::read(path) {
        Ok(bytes) => check_bytes(path, bytes, named, o, report),
        Err(e) => {
            eprintln!("eventsift: cannot read {}: {e}", path.display());
            *io_error = true;
        }
    }
}

/// Checks the contents of one file (`named`: given on the command line, not found in a directory).
fn check_bytes(path: &Path, bytes: Vec<u8>, named: bool, o: &CheckOptions, report: &mut Report) {
    let file = report.files.len();
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            report.files.push(FileReport {
                path: display(path),
                text: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                taken_as: "unreadable".into(),
                filters: 0,
            });
            if named {
                report.diagnostics.push(error(
                    file,
                    at..at + 1,
                    "unreadable-file",
                    "the file is not valid UTF-8".into(),
                ));
            }
            return;
        }
    };
    report.files.push(FileReport { path: display(path), text, taken_as: String::new(), filters: 0 });
    let text = report.files[file].text.clone();
    let mut cx = Cx { file, text: &text, o, diagnostics: Vec::new(), filters: 0 };

    let mut more_documents = None;
    let taken_as = if named && o.dialect.is_some() {
        cx.plain_pattern(o.dialect.unwrap_or_default());
        "pattern".to_string()
    } else {
        let json = has_extension(path, &["json"]) || (!has_extension(path, &["yaml", "yml"]) && looks_like_json(&text));
        let parsed = if json { doc::parse_json(&text) } else { doc::parse_yaml(&text) };
        if let (false, Ok(_)) = (json, &parsed) {
            more_documents = doc::second_yaml_document(&text);
        }
        match parsed {
            Err(e) if json && named => {
                // Not JSON the template reader accepts: a pattern file, whose parser says what is
                // wrong and where.
                let _ = e;
                cx.plain_pattern(Dialect::EventBridge);
                "pattern".to_string()
            }
            Err(e) => {
                if named {
                    cx.diagnostics.push(error(
                        file,
                        e.offset..e.offset,
                        "unreadable-file",
                        format!("not valid {}: {}", if json { "JSON" } else { "YAML" }, e.message),
                    ));
                    "unreadable".to_string()
                } else {
                    "skipped".to_string()
                }
            }
            Ok(root) => {
                let kind = find::classify(&root);
                match kind {
                    DocKind::CloudFormation | DocKind::Serverless | DocKind::TerraformPlan => {
                        for site in find::find(&text, &root, kind) {
                            cx.site(&site);
                        }
                        kind.name().to_string()
                    }
                    DocKind::Criteria if json && (named || root.get("Filters").is_some()) => {
                        cx.json_criteria();
                        "criteria".to_string()
                    }
                    DocKind::Criteria if named || root.get("Filters").is_some() => {
                        cx.yaml_criteria(&root);
                        "criteria".to_string()
                    }
                    _ if named && json => {
                        cx.plain_pattern(Dialect::EventBridge);
                        "pattern".to_string()
                    }
                    _ if !named && json && pattern_name(path) && pattern_shaped(&root) => {
                        cx.plain_pattern(Dialect::EventBridge);
                        "pattern".to_string()
                    }
                    _ if named => {
                        cx.diagnostics.push(Diagnostic {
                            severity: Severity::Warning,
                            code: "unrecognised-file".into(),
                            message: "not a template, Serverless file, Terraform plan, FilterCriteria or JSON pattern: nothing was checked".into(),
                            file,
                            span: 0..0,
                            context: None,
                            help: Some("pass --dialect to check the file as a pattern".into()),
                        });
                        "skipped".to_string()
                    }
                    _ => "skipped".to_string(),
                }
            }
        }
    };
    if let Some(at) = more_documents.filter(|_| !matches!(taken_as.as_str(), "skipped" | "unreadable")) {
        cx.diagnostics.push(Diagnostic {
            severity: Severity::Warning,
            code: "more-documents".into(),
            message: "this file holds more than one YAML document: only the first was checked".into(),
            file,
            span: at..at,
            context: None,
            help: Some("put each template in a file of its own (CloudFormation reads one document)".into()),
        });
    }
    let filters = cx.filters;
    let diagnostics = std::mem::take(&mut cx.diagnostics);
    report.files[file].taken_as = taken_as;
    report.files[file].filters = filters;
    report.diagnostics.extend(diagnostics);
}

/// A JSON file found in a directory (not a template, plan or criteria document) is taken for a
/// pattern when its name says so (`event-pattern.json`, `orders.pattern.json`).
fn pattern_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    name.contains("pattern")
}

/// Does a JSON document found in a directory look like a pattern rather than some other JSON with
/// "pattern" in its name (project metadata such as serverless-patterns' `example-pattern.json`)?
/// Either every top-level value is an object or an array, as a pattern's are, or the keys with
/// other values are fields that patterns filter on (an event's or a stream record's), so that a
/// pattern with that mistake in it (`{"source": "aws.ec2"}`) is still checked.
fn pattern_shaped(root: &super::doc::Node) -> bool {
    const FIELDS: [&str; 20] = [
        "$or",
        "source",
        "detail-type",
        "detail",
        "account",
        "region",
        "resources",
        "time",
        "id",
        "version",
        "body",
        "data",
        "dynamodb",
        "value",
        "eventName",
        "eventSource",
        "userIdentity",
        "partitionKey",
        "messageAttributes",
        "attributes",
    ];
    let container = |v: &super::doc::Node| matches!(v.kind, super::doc::Kind::Map(_) | super::doc::Kind::Seq(_));
    let field = |k: &super::doc::Key| FIELDS.contains(&k.text.as_str());
    let members = root.members();
    members.iter().all(|(_, v)| container(v))
        || members.iter().any(|(k, _)| field(k)) && members.iter().all(|(k, v)| container(v) || field(k))
}

fn error(file: usize, span: Range<usize>, code: &str, message: String) -> Diagnostic {
    Diagnostic { severity: Severity::Error, code: code.into(), message, file, span, context: None, help: None }
}

struct Cx<'a> {
    file: usize,
    text: &'a str,
    o: &'a CheckOptions,
    diagnostics: Vec<Diagnostic>,
    filters: usize,
}

impl Cx<'_> {
    fn push(
        &mut self,
        severity: Severity,
        code: &str,
        message: String,
        span: Range<usize>,
        context: Option<&str>,
        help: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            severity,
            code: code.into(),
            message,
            file: self.file,
            span,
            context: context.map(str::to_string),
            help,
        });
    }

    /// The whole file is one pattern.
    fn plain_pattern(&mut self, dialect: Dialect) {
        self.filters += 1;
        match Pattern::builder().dialect(dialect).build(self.text) {
            Ok(p) => {
                for l in p.lints() {
                    self.push(Severity::Warning, l.code, l.message, l.span.range(), None, Some(l.fix));
                }
            }
            Err(e) => {
                let help = help_for(&e);
                self.push(Severity::Error, e.kind().name(), e.reason().to_string(), e.span().range(), None, help);
            }
        }
    }

    /// A FilterCriteria document in JSON, read by the library (errors point through the `Pattern`
    /// strings' escapes).
    fn json_criteria(&mut self) {
        let source = self.o.source.unwrap_or_else(|| infer_source_from_document(self.text));
        let builder = Filter::builder(source).max_filters(self.o.max_filters);
        match builder.build(self.text) {
            Ok(filter) => {
                self.filters += filter.patterns().len();
                if filter.patterns().is_empty() {
                    self.push(
                        Severity::Warning,
                        "empty-criteria",
                        "this FilterCriteria has no filters: every record is delivered".into(),
                        0..self.text.len().min(1),
                        None,
                        Some("add a filter, or remove the FilterCriteria if no filtering is meant".into()),
                    );
                }
                for l in filter.lints_with(&self.o.lint) {
                    let context = format!("filter {} ({source} records)", l.filter);
                    self.push(Severity::Warning, l.code, l.message, l.span.range(), Some(&context), Some(l.fix));
                }
            }
            Err(e) => {
                self.filters += 1;
                let context = e.filter_index().map(|i| format!("filter {i}"));
                let help = help_for(&e);
                self.push(
                    Severity::Error,
                    e.kind().name(),
                    e.reason().to_string(),
                    e.span().range(),
                    context.as_deref(),
                    help,
                );
            }
        }
    }

    /// A FilterCriteria document in YAML.
    fn yaml_criteria(&mut self, root: &Node) {
        let node = root.get("FilterCriteria").unwrap_or(root);
        let text = self.text;
        let mut sites = find::find(text, &wrap_criteria(node), DocKind::CloudFormation);
        for site in &mut sites {
            if let Site::Criteria { context, .. } = site {
                *context = "FilterCriteria".into();
            }
            self.site(site);
        }
    }

    fn site(&mut self, site: &Site) {
        match site {
            Site::Rule { context, pattern } => {
                self.filters += 1;
                let dialect = self.o.dialect.unwrap_or(Dialect::EventBridge);
                let context = &with_branch(context.clone(), pattern);
                if let Some(p) = self.pattern(pattern, Pattern::builder().dialect(dialect), context) {
                    for l in p.lints() {
                        let span = pattern.text.file_span(l.span.range());
                        self.push(Severity::Warning, l.code, l.message, span, Some(context), Some(l.fix));
                    }
                }
            }
            Site::Criteria { context, dialect, source, view, key_types, filters, span, key_span, built_by } => {
                if let Some(name) = built_by {
                    self.push(
                        Severity::Note,
                        "unresolved-intrinsic",
                        format!(
                            "the FilterCriteria is built by {name} at deploy time: it cannot be checked statically"
                        ),
                        span.clone(),
                        Some(context),
                        None,
                    );
                    return;
                }
                // Every pattern found counts (each value of an `Fn::If` that chooses a filter or
                // its pattern is one); the limit counts the filters of the list (such a filter once).
                self.filters += filters.len();
                if filters.is_empty() {
                    self.push(
                        Severity::Warning,
                        "empty-criteria",
                        "this FilterCriteria has no filters: every record is delivered".into(),
                        key_span.clone(),
                        Some(context),
                        Some("add a filter, or remove the FilterCriteria if no filtering is meant".into()),
                    );
                    return;
                }
                let slots = filters.iter().map(|f| f.slot + 1).max().unwrap_or(0);
                if slots > self.o.max_filters {
                    let first_over = filters.iter().find(|f| f.slot == self.o.max_filters).unwrap_or(&filters[0]);
                    self.push(
                        Severity::Error,
                        "too-many-filters",
                        format!(
                            "{} filters, but an event-source mapping allows {} (a quota that AWS can raise to 10)",
                            slots, self.o.max_filters
                        ),
                        first_over.span.clone(),
                        Some(context),
                        Some("merge filters with $or, or pass --max-filters if your quota was raised".into()),
                    );
                }
                let builder = Pattern::builder().dialect(*dialect);
                let mut compiled: Vec<(usize, Pattern)> = Vec::new();
                for (i, f) in filters.iter().enumerate() {
                    let ctx = with_branch(format!("{context}, filter {}", f.slot), f);
                    if f.object_for_string {
                        self.push(
                            Severity::Error,
                            "pattern-not-string",
                            "a FilterCriteria Pattern must be a JSON string, not an object".into(),
                            f.span.clone(),
                            Some(&ctx),
                            Some(format!("write it as a string: Pattern: '{}'", f.text.text)),
                        );
                    }
                    if let Some(p) = self.pattern(f, builder.clone(), &ctx) {
                        compiled.push((i, p));
                    }
                }
                let source = source.or(self.o.source).unwrap_or_else(|| infer_source(compiled.iter().map(|(_, p)| p)));
                let mut lint = self.o.lint.clone();
                if lint.stream_view_type.is_none() {
                    if let Some(t) = view.as_deref().and_then(|v| v.parse().ok()) {
                        lint = lint.stream_view_type(t);
                    }
                }
                if lint.attribute_types.is_empty() {
                    lint = lint.attribute_types(key_types.iter().cloned());
                }
                // Lints are each pattern's own, so each pattern is linted alone: the values of an
                // `Fn::If` are not filters of one list, and a list over the limit is still linted.
                for (i, p) in &compiled {
                    let filter = Filter::builder(source)
                        .pattern_options(builder.clone())
                        .max_filters(eventsift::lambda::MAX_FILTERS)
                        .build_patterns(std::iter::once(p.source()));
                    let Ok(filter) = filter else { continue };
                    for l in filter.lints_with(&lint) {
                        let f = &filters[*i];
                        let span = f.text.file_span(l.span.range());
                        let ctx =
                            with_branch(format!("{context}, filter {}", f.slot), f) + &format!(", {source} records");
                        self.push(Severity::Warning, l.code, l.message, span, Some(&ctx), Some(l.fix));
                    }
                }
            }
        }
    }

    /// Compiles one pattern site; reports what is wrong.
    fn pattern(&mut self, site: &PatternSite, builder: PatternBuilder, context: &str) -> Option<Pattern> {
        if let Some(name) = &site.built_by {
            let message = if name.starts_with("Fn::") || name == "Ref" || name == "Condition" {
                format!("this pattern is built by {name} at deploy time: it cannot be checked statically")
            } else {
                format!("this pattern is {name}: it cannot be checked statically")
            };
            self.push(Severity::Note, "unresolved-intrinsic", message, site.span.clone(), Some(context), None);
            return None;
        }
        let built = builder.build(&site.text.text);
        // An error at a value resolved at deploy time is not the pattern's: it stops the check there.
        let stopped = built.as_ref().err().map(|e| site.text.file_span(e.span().range())).and_then(|span| {
            site.intrinsics.iter().find(|(_, s)| overlaps(s, &span)).map(|(what, s)| (what.clone(), s.start))
        });
        if !site.intrinsics.is_empty() {
            let (first, span) = &site.intrinsics[0];
            let (line, col) = line_col(self.text, span.start);
            let more = site.intrinsics.len() - 1;
            let rest = match &stopped {
                None => "the rest of the pattern was checked".to_string(),
                Some((what, at)) => {
                    let (line, col) = line_col(self.text, *at);
                    format!("the check stopped at {what} at {line}:{col}: what follows depends on its value")
                }
            };
            self.push(
                Severity::Note,
                "unresolved-intrinsic",
                if more == 0 {
                    format!("{first} at {line}:{col} is resolved at deploy time: its value cannot be checked statically ({rest})")
                } else {
                    format!(
                        "{first} at {line}:{col} and {more} more value{} are resolved at deploy time: they cannot be checked statically ({rest})",
                        if more == 1 { "" } else { "s" }
                    )
                },
                span.clone(),
                Some(context),
                None,
            );
        }
        match built {
            Ok(p) => Some(p),
            Err(e) => {
                if stopped.is_none() {
                    let span = site.text.file_span(e.span().range());
                    let help = help_for(&e);
                    self.push(Severity::Error, e.kind().name(), e.reason().to_string(), span, Some(context), help);
                }
                None
            }
        }
    }
}

/// `context`, then the branch of the `Fn::If`s that chose the pattern, if any.
fn with_branch(context: String, site: &PatternSite) -> String {
    match &site.branch {
        Some(b) => format!("{context}, {b}"),
        None => context,
    }
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start <= b.start && b.start < a.end.max(a.start + 1) || b.start <= a.start && a.start < b.end.max(b.start + 1)
}

/// A node holding `Filters` as a template's FilterCriteria property, so that the template reader
/// finds it.
fn wrap_criteria(node: &Node) -> Node {
    use super::doc::{Key, Kind, ScalarType, Style};
    let scalar = |v: &str| Node {
        span: 0..0,
        tag: None,
        kind: Kind::Scalar { value: v.into(), style: Style::Plain, ty: ScalarType::String },
    };
    let key = |k: &str| Key { text: k.into(), span: 0..0 };
    let props =
        Node { span: node.span.clone(), tag: None, kind: Kind::Map(vec![(key("FilterCriteria"), node.clone())]) };
    let resource = Node {
        span: node.span.clone(),
        tag: None,
        kind: Kind::Map(vec![(key("Type"), scalar("AWS::Lambda::EventSourceMapping")), (key("Properties"), props)]),
    };
    let resources = Node { span: node.span.clone(), tag: None, kind: Kind::Map(vec![(key("Criteria"), resource)]) };
    Node { span: node.span.clone(), tag: None, kind: Kind::Map(vec![(key("Resources"), resources)]) }
}

/// Help for the errors whose fix is known.
fn help_for(e: &eventsift::Error) -> Option<String> {
    use eventsift::ErrorKind as K;
    Some(match e.kind() {
        K::EmptyObject => "an empty object matches nothing here; remove it, or give it a field".into(),
        K::EmptyArray => "a leaf array needs at least one value: [\"value\"] or [{\"exists\": true}]".into(),
        K::OperatorNotInDialect => {
            "this service does not accept the operator; rewrite the condition with the operators its documentation lists".into()
        }
        K::PatternTooLong => "shorten the pattern, or split it into several filters or rules".into(),
        _ => return None,
    })
}

/// The source whose data key the patterns use.
pub fn infer_source<'a>(patterns: impl Iterator<Item = &'a Pattern>) -> Source {
    for pattern in patterns {
        for path in pattern.paths() {
            let first = path.split('.').next().unwrap_or_default();
            return match first {
                "dynamodb" => Source::DynamoDb,
                "body" => Source::Sqs,
                "value" => Source::Kafka,
                "data" if path == "data" => Source::Mq,
                "data" | "partitionKey" => Source::Kinesis,
                _ => continue,
            };
        }
    }
    Source::Raw
}

/// The source whose data key a criteria document's patterns use.
pub fn infer_source_from_document(text: &str) -> Source {
    let Ok(criteria) = eventsift::lambda::FilterCriteria::parse_lenient(text) else { return Source::Raw };
    let patterns: Vec<Pattern> =
        criteria.patterns().filter_map(|p| Pattern::builder().dialect(Dialect::LambdaEsm).build(p).ok()).collect();
    infer_source(patterns.iter())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::diag;
    use proptest::prelude::*;

    fn fixtures() -> Vec<(PathBuf, Vec<u8>)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/templates");
        let mut files = Vec::new();
        for dir in ["bad", "good", "good/cdk.out", "if", "keytypes", "public", "public/serverless-eventBridge-fixture"]
        {
            let mut found = Vec::new();
            walk(&root.join(dir), &mut found).unwrap();
            for f in found {
                if f.parent() == Some(&root.join(dir)) {
                    let bytes = fs::read(&f).unwrap();
                    files.push((f, bytes));
                }
            }
        }
        assert!(files.len() > 20);
        files
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500),
            ..ProptestConfig::default()
        })]

        /// Damaged templates (cut, bytes deleted or inserted: quotes, brackets, tags, escapes,
        /// block indicators) never make `check` or any output format panic.
        #[test]
        fn damaged_templates_never_panic(
            which in 0usize..64,
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, prop::sample::select(vec![
                "\"", "'", "{", "}", "[", "]", ":", ",", "\\", "\\u00", "|", ">-", "!Ref ", "!Sub ", "\n", "\n  ", "- ", "#", "\t", "é", "${X}", "&a", "*a",
            ])), 1..4),
            dialect in prop::option::of(prop::sample::select(vec![Dialect::EventBridge, Dialect::LambdaEsm])),
        ) {
            let files = fixtures();
            let (path, original) = &files[which % files.len()];
            let mut bytes = original.clone();
            for (at, kind, piece) in edits {
                let i = at.index(bytes.len() + 1);
                match kind {
                    0 => bytes.truncate(i),
                    1 => { if i < bytes.len() { bytes.remove(i); } }
                    _ => { bytes.splice(i..i, piece.bytes()); }
                }
            }
            let o = CheckOptions { dialect, source: None, lint: LintOptions::default(), max_filters: 5 };
            let mut report = Report { files: Vec::new(), diagnostics: Vec::new() };
            check_bytes(path, bytes, true, &o, &mut report);
            for d in &report.diagnostics {
                let _ = diag::human(&report, d, false);
                let _ = diag::json_diagnostic(&report, d);
                let _ = diag::github(&report, d);
            }
            let _ = diag::sarif(&report);
        }
    }
}
