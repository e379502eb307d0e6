//! `eventsift test`: unit tests for filters, in YAML or JSON (format in the README):
//!
//! ```yaml
//! tests:
//!   - name: running instances
//!     pattern: {source: [aws.ec2], detail: {state: [running]}}   # or pattern_file, criteria, criteria_file, filters
//!     cases:
//!       - event: {source: aws.ec2, detail: {state: running}}      # or event_file (record, record_file)
//!         match: true                                            # or keep
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use eventsift::lambda::{Filter, FilterCriteria};
use eventsift::{Dialect, Pattern, Source};

use super::doc::{self, line_col, Kind, Node, ScalarType};
use super::read_text;

enum Subject {
    Pattern(Pattern),
    Filter(Filter),
}

struct Tally {
    passed: usize,
    failed: usize,
}

pub fn run(files: &[PathBuf], quiet: bool, color: bool) -> i32 {
    let mut tally = Tally { passed: 0, failed: 0 };
    let mut unreadable = false;
    let out = std::io::stdout();
    let mut out = out.lock();
    for path in files {
        let text = match read_text(path) {
            Ok(t) => t,
            Err(_) => {
                unreadable = true;
                continue;
            }
        };
        let json = path.extension().is_some_and(|e| e == "json");
        let root = match if json { doc::parse_json(&text) } else { doc::parse_yaml(&text) } {
            Ok(r) => r,
            Err(e) => {
                let (l, c) = line_col(&text, e.offset);
                eprintln!("eventsift: {}:{l}:{c}: {}", path.display(), e.message);
                unreadable = true;
                continue;
            }
        };
        let tests: Vec<&Node> = match (root.get("tests"), &root.kind) {
            (Some(list), _) => list.items().iter().collect(),
            (None, Kind::Seq(items)) => items.iter().collect(),
            (None, _) if root.get("cases").is_some() => vec![&root],
            _ => {
                eprintln!(
                    "eventsift: {}: no tests (expected `tests:`, a list of tests, or one test with `cases:`)",
                    path.display()
                );
                unreadable = true;
                continue;
            }
        };
        let file = File { path, text: &text };
        for (ti, test) in tests.into_iter().enumerate() {
            file.run_test(ti, test, quiet, color, &mut out, &mut tally);
        }
    }
    let _ = writeln!(out, "{} passed, {} failed", tally.passed, tally.failed);
    let _ = out.flush();
    if unreadable {
        2
    } else if tally.failed > 0 {
        1
    } else {
        0
    }
}

struct File<'a> {
    path: &'a Path,
    text: &'a str,
}

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

impl File<'_> {
    fn at(&self, node: &Node) -> String {
        let (l, c) = line_col(self.text, node.span.start);
        format!("{}:{l}:{c}", self.path.display())
    }

    /// The JSON text a node stands for: a string is the text itself, anything else is written as
    /// JSON.
    fn json_text(&self, node: &Node) -> String {
        match &node.kind {
            Kind::Scalar { ty: ScalarType::String, .. } if node.tag.is_none() => doc::scalar_text(self.text, node).text,
            _ => doc::to_json(self.text, node, &mut Vec::new()).text,
        }
    }

    /// A file named relative to the test file.
    fn read_relative(&self, node: &Node) -> Result<String, String> {
        let name = node.scalar_text().ok_or_else(|| format!("{}: expected a file name", self.at(node)))?;
        let path = self.path.parent().unwrap_or(Path::new(".")).join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: cannot read {}: {e}", self.at(node), path.display()))
    }

    fn subject(&self, test: &Node) -> Result<Subject, String> {
        let dialect = match test.get("dialect").and_then(Node::scalar_text) {
            Some(d) => Some(Dialect::from_name(d).ok_or_else(|| format!("{}: unknown dialect '{d}'", self.at(test)))?),
            None => None,
        };
        let source = match test.get("source").and_then(Node::scalar_text) {
            Some(s) => Some(s.parse::<Source>().map_err(|e| format!("{}: {e}", self.at(test)))?),
            None => None,
        };
        let pattern_text = if let Some(p) = test.get("pattern") {
            Some((self.json_text(p), self.at(p)))
        } else if let Some(p) = test.get("pattern_file") {
            Some((self.read_relative(p)?, self.at(p)))
        } else {
            None
        };
        if let Some((text, at)) = pattern_text {
            let builder = Pattern::builder().dialect(dialect.unwrap_or_default());
            return builder.build(&text).map(Subject::Pattern).map_err(|e| format!("{at}: invalid pattern: {e}"));
        }
        // The document (for the source's data key) and, for `filters`, the criteria built once.
        let (text, at, built) = if let Some(c) = test.get("criteria") {
            (self.json_text(c), self.at(c), None)
        } else if let Some(c) = test.get("criteria_file") {
            (self.read_relative(c)?, self.at(c), None)
        } else if let Some(list) = test.get("filters") {
            let criteria = FilterCriteria::from_patterns(list.items().iter().map(|p| self.json_text(p)));
            (criteria.document().to_string(), self.at(list), Some(criteria))
        } else {
            return Err(format!(
                "{}: a test needs pattern, pattern_file, criteria, criteria_file or filters",
                self.at(test)
            ));
        };
        let source = source.unwrap_or_else(|| super::check::infer_source_from_document(&text));
        let mut builder = Filter::builder(source).max_filters(eventsift::lambda::MAX_FILTERS);
        if let Some(d) = dialect {
            builder = builder.pattern_options(Pattern::builder().dialect(d));
        }
        let filter = match built {
            Some(criteria) => builder.build_criteria(criteria),
            None => builder.build(&text),
        };
        filter.map(Subject::Filter).map_err(|e| format!("{at}: invalid criteria: {e}"))
    }

    fn run_test(&self, ti: usize, test: &Node, quiet: bool, color: bool, out: &mut dyn Write, tally: &mut Tally) {
        let test_name =
            test.get("name").and_then(Node::scalar_text).map_or_else(|| format!("test {}", ti + 1), str::to_string);
        let subject = match self.subject(test) {
            Ok(s) => s,
            Err(e) => {
                tally.failed += 1;
                let _ = writeln!(out, "{} {test_name}: {e}", paint(color, "31", "FAIL"));
                return;
            }
        };
        let Some(cases) = test.get("cases") else {
            tally.failed += 1;
            let _ = writeln!(out, "{} {test_name}: {}: no cases", paint(color, "31", "FAIL"), self.at(test));
            return;
        };
        for (ci, case) in cases.items().iter().enumerate() {
            let case_name =
                case.get("name").and_then(Node::scalar_text).map_or_else(|| format!("case {}", ci + 1), str::to_string);
            let label = format!("{} › {test_name} › {case_name}", self.at(case));
            match self.run_case(&subject, case) {
                Ok(()) => {
                    tally.passed += 1;
                    if !quiet {
                        let _ = writeln!(out, "{} {label}", paint(color, "32", "ok  "));
                    }
                }
                Err(why) => {
                    tally.failed += 1;
                    let _ = writeln!(out, "{} {label}: {why}", paint(color, "31", "FAIL"));
                }
            }
        }
    }

    fn run_case(&self, subject: &Subject, case: &Node) -> Result<(), String> {
        let event_node = ["event", "record"].iter().find_map(|k| case.get(k));
        let event = if let Some(e) = event_node {
            self.json_text(e)
        } else if let Some(f) = ["event_file", "record_file"].iter().find_map(|k| case.get(k)) {
            self.read_relative(f)?
        } else {
            return Err("the case needs event, event_file, record or record_file".into());
        };
        let expected = ["match", "keep", "matches"]
            .iter()
            .find_map(|k| case.get(k))
            .and_then(|n| match &n.kind {
                Kind::Scalar { value, ty: ScalarType::Bool, .. } => Some(value.eq_ignore_ascii_case("true")),
                _ => None,
            })
            .ok_or("the case needs `match: true` or `match: false`")?;
        let want = if expected { "a match" } else { "no match" };
        match subject {
            Subject::Pattern(p) => {
                let got = p.matches(&event).map_err(|e| format!("invalid event: {e}"))?;
                if got == expected {
                    return Ok(());
                }
                let why = p.explain(&event).map(|x| x.summary).unwrap_or_default();
                Err(format!("expected {want}; {why}"))
            }
            Subject::Filter(f) => {
                let got = f.matches(&event).map_err(|e| format!("invalid record: {e}"))?;
                if got == expected {
                    return Ok(());
                }
                let why: Vec<String> = f
                    .explain(&event)
                    .map(|xs| xs.iter().enumerate().map(|(i, x)| format!("filter {i}: {}", x.summary)).collect())
                    .unwrap_or_default();
                Err(format!(
                    "expected {}; {}",
                    if expected { "the record kept" } else { "the record dropped" },
                    why.join("; ")
                ))
            }
        }
    }
}
