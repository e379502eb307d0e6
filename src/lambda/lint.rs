//! Lints: filters that are valid but can never do what their author meant (SPEC §4.4, §5.4).
//! Warnings, not errors: Lambda accepts these filters.

use std::collections::BTreeMap;
use std::fmt;

use super::filter::Filter;
use super::Source;
use crate::compile::ir::{Branch, Compiled, Matcher};
use crate::error::{line_column, Span};
use crate::syntax::ast::{AnythingBut, Condition, FieldValue, Member, Object, Test};

/// A warning about one filter.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lint {
    /// A stable code, e.g. `numeric-on-dynamodb-number`.
    pub code: &'static str,
    /// The filter's index in the criteria.
    pub filter: usize,
    /// The byte span in the criteria document (in the pattern text for filters built from
    /// patterns).
    pub span: Span,
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column (in characters) of the span's start.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to write instead.
    pub fix: String,
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: warning[{}]: filter {}: {}", self.line, self.column, self.code, self.filter, self.message)?;
        if !self.fix.is_empty() {
            write!(f, "\n  = fix: {}", self.fix)?;
        }
        Ok(())
    }
}

/// What a DynamoDB stream carries in its records (`StreamViewType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamViewType {
    /// Only `Keys`.
    KeysOnly,
    /// `Keys` and `NewImage`.
    NewImage,
    /// `Keys` and `OldImage`.
    OldImage,
    /// `Keys`, `NewImage` (not on REMOVE) and `OldImage` (not on INSERT).
    NewAndOldImages,
}

impl std::str::FromStr for StreamViewType {
    type Err = String;

    fn from_str(s: &str) -> Result<StreamViewType, String> {
        match s {
            "KEYS_ONLY" => Ok(StreamViewType::KeysOnly),
            "NEW_IMAGE" => Ok(StreamViewType::NewImage),
            "OLD_IMAGE" => Ok(StreamViewType::OldImage),
            "NEW_AND_OLD_IMAGES" => Ok(StreamViewType::NewAndOldImages),
            _ => Err(format!("unknown stream view type {s:?}: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES")),
        }
    }
}

/// What the payloads (data property) of a source are known to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataFormat {
    /// JSON documents.
    Json,
    /// Plain text (or binary): never JSON.
    Text,
}

/// The type of a DynamoDB key attribute, as a table declares it (`AttributeDefinitions`'
/// `AttributeType`): in stream records the attribute always sits under this type key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttributeType {
    /// `S`: a string.
    String,
    /// `N`: a number.
    Number,
    /// `B`: binary.
    Binary,
}

impl AttributeType {
    /// The type key of the attribute's values in stream records: `S`, `N` or `B`.
    pub fn type_key(self) -> &'static str {
        match self {
            AttributeType::String => "S",
            AttributeType::Number => "N",
            AttributeType::Binary => "B",
        }
    }
}

impl std::str::FromStr for AttributeType {
    type Err = String;

    fn from_str(s: &str) -> Result<AttributeType, String> {
        match s {
            "S" => Ok(AttributeType::String),
            "N" => Ok(AttributeType::Number),
            "B" => Ok(AttributeType::Binary),
            _ => Err(format!("unknown attribute type {s:?}: S, N or B")),
        }
    }
}

/// What the linter may assume about the records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LintOptions {
    /// The DynamoDB stream's view type, when known.
    pub stream_view_type: Option<StreamViewType>,
    /// The format of the payloads, when known.
    pub data_format: Option<DataFormat>,
    /// The declared types of the DynamoDB table's key attributes (its `AttributeDefinitions`: the
    /// table's and its indexes' key attributes), by attribute name.
    pub attribute_types: BTreeMap<String, AttributeType>,
}

impl LintOptions {
    /// Declares the DynamoDB stream view type.
    pub fn stream_view_type(mut self, t: StreamViewType) -> Self {
        self.stream_view_type = Some(t);
        self
    }

    /// Declares the payload format.
    pub fn data_format(mut self, f: DataFormat) -> Self {
        self.data_format = Some(f);
        self
    }

    /// Declares the types of the DynamoDB table's key attributes, as its `AttributeDefinitions`
    /// do (added to those already declared; a name declared again takes the new type). In a
    /// stream record such an attribute always carries its declared type key, in `Keys`,
    /// `NewImage` and `OldImage` alike, so a condition on it under another type key never matches
    /// (`key-type-mismatch`; `{"exists": false}` aside, which always does).
    ///
    /// ```
    /// use eventsift::lambda::{AttributeType, Filter, LintOptions};
    /// use eventsift::Source;
    ///
    /// let f = Filter::new(
    ///     r#"{"Filters": [{"Pattern": "{\"dynamodb\": {\"Keys\": {\"pk\": {\"N\": [\"42\"]}}}}"}]}"#,
    ///     Source::DynamoDb,
    /// )?;
    /// assert!(f.lints().is_empty());
    /// let options = LintOptions::default()
    ///     .attribute_types([("pk", AttributeType::String), ("sk", AttributeType::Number)]);
    /// let lints = f.lints_with(&options);
    /// assert_eq!(lints[0].code, "key-type-mismatch");
    /// assert_eq!(lints[0].fix, r#"use the declared type key: {"pk": {"S": ["42"]}}"#);
    /// # Ok::<(), eventsift::Error>(())
    /// ```
    pub fn attribute_types<K: Into<String>>(mut self, types: impl IntoIterator<Item = (K, AttributeType)>) -> Self {
        self.attribute_types.extend(types.into_iter().map(|(k, t)| (k.into(), t)));
        self
    }
}

/// Fields that the Lambda poller adds to records: ESM filters on them may never match (SPEC §4.4).
const POLLER_FIELDS: [&str; 6] =
    ["awsRegion", "eventSource", "eventSourceARN", "eventVersion", "invokeIdentityArn", "eventSourceKey"];

/// DynamoDB attribute-value type keys (SPEC §5.2).
const TYPE_KEYS: [&str; 10] = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"];

impl Filter {
    /// The warnings for this filter, assuming nothing about the records.
    ///
    /// ```
    /// use eventsift::lambda::Filter;
    /// use eventsift::Source;
    ///
    /// let f = Filter::new(
    ///     r#"{"Filters": [{"Pattern": "{\"dynamodb\": {\"NewImage\": {\"status\": [\"done\"]}}}"}]}"#,
    ///     Source::DynamoDb,
    /// )?;
    /// let lints = f.lints();
    /// assert_eq!(lints[0].code, "missing-type-key");
    /// assert_eq!(lints[0].fix, r#"{"status": {"S": ["done"]}}"#);
    /// # Ok::<(), eventsift::Error>(())
    /// ```
    pub fn lints(&self) -> Vec<Lint> {
        self.lints_with(&LintOptions::default())
    }

    /// The warnings for this filter, given what is known about the records.
    pub fn lints_with(&self, options: &LintOptions) -> Vec<Lint> {
        let mut out = Vec::new();
        for (i, pattern) in self.patterns().iter().enumerate() {
            let mut cx = Cx {
                filter: self,
                index: i,
                source: self.source(),
                text: pattern.source(),
                options,
                keys: Vec::new(),
                out: Vec::new(),
            };
            cx.object(pattern.ast(), "");
            cx.branches(pattern.ast(), pattern.compiled(), options);
            out.extend(cx.out);
        }
        out
    }
}

impl crate::Pattern {
    /// Warnings that hold for a pattern of any dialect: today, values and keys that hold template
    /// text that was never resolved (`${Stage}`, `!Ref Bucket` inside a string, `{{resolve:…}}`).
    /// Spans are in the pattern text; `filter` is 0.
    ///
    /// ```
    /// use eventsift::Pattern;
    ///
    /// let p = Pattern::new(r#"{"detail": {"bucket": ["${BucketName}"]}}"#)?;
    /// assert_eq!(p.lints()[0].code, "template-placeholder");
    /// # Ok::<(), eventsift::Error>(())
    /// ```
    pub fn lints(&self) -> Vec<Lint> {
        fn walk(text: &str, object: &Object, prefix: &str, out: &mut Vec<Lint>) {
            for m in &object.members {
                match m {
                    Member::Field { key, key_span, value } => {
                        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                        if let Some(what) = placeholder(key) {
                            out.push(lint(text, *key_span, format!("the key \"{key}\" holds unresolved template text ({what}): it is matched literally")));
                        }
                        match value {
                            FieldValue::Object(inner) => walk(text, inner, &path, out),
                            FieldValue::Leaf { conditions, .. } => {
                                for c in conditions {
                                    for v in strings(&c.test) {
                                        if let Some(what) = placeholder(v) {
                                            out.push(lint(
                                                text,
                                                c.argument_span.unwrap_or(c.span),
                                                format!("\"{v}\" under \"{path}\" looks like unresolved template text ({what}): it is matched literally, so this condition never matches the value meant"),
                                            ));
                                        }
                                    }
                                }
                            }
                        }
                    }
                    Member::Or { branches, .. } => {
                        for b in branches {
                            walk(text, b, prefix, out);
                        }
                    }
                }
            }
        }
        fn lint(text: &str, span: Span, message: String) -> Lint {
            let (line, column) = line_column(text, span.start);
            Lint {
                code: "template-placeholder",
                filter: 0,
                span,
                line,
                column,
                message,
                fix: "use the template's own substitution on the whole pattern (e.g. !Sub on the pattern string), or write the resolved value".into(),
            }
        }
        let mut out = Vec::new();
        walk(self.source(), self.ast(), "", &mut out);
        out
    }
}

struct Cx<'a> {
    filter: &'a Filter,
    index: usize,
    source: Source,
    text: &'a str,
    options: &'a LintOptions,
    /// The keys from the top to the field being walked: each key, its span, and the number of
    /// path segments up to and including it (a key may hold several: `"dynamodb.Keys"`).
    keys: Vec<(String, Span, usize)>,
    out: Vec<Lint>,
}

impl Cx<'_> {
    fn push(&mut self, code: &'static str, span: Span, message: String, fix: String) {
        let criteria = self.filter.criteria();
        let span =
            Span::new(criteria.document_offset(self.index, span.start), criteria.document_offset(self.index, span.end));
        let document = if criteria.document().is_empty() { self.text } else { criteria.document() };
        let (line, column) = line_column(document, span.start);
        let lint = Lint { code, filter: self.index, span, line, column, message, fix };
        if !self.out.contains(&lint) {
            self.out.push(lint);
        }
    }

    fn object(&mut self, object: &Object, prefix: &str) {
        for m in &object.members {
            match m {
                Member::Field { key, key_span, value } => {
                    if prefix.is_empty() {
                        self.top_level(key, *key_span);
                    }
                    if let Some(what) = placeholder(key) {
                        self.push(
                            "template-placeholder",
                            *key_span,
                            format!("the key \"{key}\" holds unresolved template text ({what}): it is matched literally"),
                            "resolve the value before the pattern is deployed, or build the pattern with the template's own substitution".into(),
                        );
                    }
                    let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    self.keys.push((key.clone(), *key_span, path.split('.').count()));
                    match value {
                        FieldValue::Object(inner) => self.object(inner, &path),
                        FieldValue::Leaf { conditions, span } => self.leaf(&path, *key_span, *span, conditions),
                    }
                    self.keys.pop();
                }
                Member::Or { branches, .. } => {
                    for b in branches {
                        self.object(b, prefix);
                    }
                }
            }
        }
    }

    /// A top-level field that the source's records never have, or the data key of another source.
    fn top_level(&mut self, key: &str, key_span: Span) {
        let first = key.split('.').next().unwrap_or_default();
        let Some(fields) = record_fields(self.source) else { return };
        if fields.contains(&first) || (self.source != Source::DynamoDb && matches!(first, "eventID" | "eventName")) {
            return;
        }
        let own = self.source.data_key().unwrap_or_default();
        let owners: Vec<&str> =
            Source::ALL.iter().filter(|s| s.data_key() == Some(first)).map(|s| source_title(*s)).collect();
        if !owners.is_empty() {
            self.push(
                "wrong-data-key",
                key_span,
                format!(
                    "\"{first}\" is the data key of {} records, not of {} records: this filter never matches",
                    owners.join(" and "),
                    source_title(self.source)
                ),
                format!("the data key of {} records is \"{own}\": {{\"{own}\": {{...}}}}", source_title(self.source)),
            );
            return;
        }
        let fix = if self.source == Source::Kinesis && first == "kinesis" {
            "a Kinesis record's fields sit at the top level of the filter view: {\"data\": {...}}, {\"partitionKey\": [...]}"
                .to_string()
        } else {
            format!("{} records have: {}", source_title(self.source), fields.join(", "))
        };
        self.push(
            "unknown-record-field",
            key_span,
            format!(
                "{} records have no top-level field \"{first}\": this condition never matches",
                source_title(self.source)
            ),
            fix,
        );
    }

    fn leaf(&mut self, path: &str, key_span: Span, leaf_span: Span, conditions: &[Condition]) {
        for c in conditions {
            for value in strings(&c.test) {
                if let Some(what) = placeholder(value) {
                    self.push(
                        "template-placeholder",
                        c.argument_span.unwrap_or(c.span),
                        format!(
                            "\"{value}\" under \"{path}\" looks like unresolved template text ({what}): it is matched \
                             literally, so this condition never matches the value meant"
                        ),
                        "use the template's own substitution on the whole pattern (e.g. !Sub on the pattern string), or \
                         write the resolved value"
                            .into(),
                    );
                }
            }
        }
        let segments: Vec<&str> = path.split('.').collect();
        if segments.len() == 1 && POLLER_FIELDS.contains(&segments[0])
            || (self.source != Source::DynamoDb
                && matches!(segments[0], "eventID" | "eventName")
                && segments.len() == 1)
        {
            self.push(
                "poller-field",
                key_span,
                format!(
                    "\"{path}\" is added by the Lambda poller: event-source-mapping filters are not documented to see it \
                     and may never match it"
                ),
                "filter on the record's own fields (its data property or source metadata) instead".into(),
            );
        }
        if self.source == Source::DynamoDb && path == "eventName" {
            for c in conditions {
                let (value, exact) = match &c.test {
                    Test::String(v) => (v, true),
                    Test::EqualsIgnoreCase(v) => (v, false),
                    _ => continue,
                };
                let known = ["INSERT", "MODIFY", "REMOVE"].iter().any(|n| {
                    if exact {
                        n == value
                    } else {
                        n.eq_ignore_ascii_case(value)
                    }
                });
                if !known {
                    self.push(
                        "unknown-event-name",
                        c.argument_span.unwrap_or(c.span),
                        format!(
                            "\"{value}\" is not an event name of DynamoDB stream records (INSERT, MODIFY or REMOVE): \
                             this value never matches"
                        ),
                        "an update is a MODIFY record: {\"eventName\": [\"MODIFY\"]}".into(),
                    );
                }
            }
        }
        if self.source == Source::DynamoDb && segments.len() >= 3 && segments[0] == "dynamodb" {
            if let "NewImage" | "OldImage" | "Keys" = segments[1] {
                self.key_type(&segments, leaf_span, conditions);
                self.attribute(&segments[2..], path, key_span, leaf_span, conditions);
            }
        }
    }

    /// A condition on a key attribute of the table (`dynamodb.Keys.pk.N`, `dynamodb.NewImage.sk.S…`)
    /// under another type key than the declared one: the record never has that field, so only
    /// `{"exists": false}` matches.
    fn key_type(&mut self, segments: &[&str], leaf_span: Span, conditions: &[Condition]) {
        let [_, _, attr, used, ..] = segments else { return };
        let Some(declared) = self.options.attribute_types.get(*attr) else { return };
        let declared = declared.type_key();
        if *used == declared || !TYPE_KEYS.contains(used) {
            return;
        }
        if conditions.iter().any(|c| matches!(c.test, Test::Exists(false))) {
            return;
        }
        let Some(span) = self.segment_span(3) else { return };
        // The conditions carry over when they compare strings as the declared type's do.
        let value =
            if segments.len() == 4 && matches!(*used, "S" | "N" | "B") { &self.text[leaf_span.range()] } else { "..." };
        self.push(
            "key-type-mismatch",
            span,
            format!(
                "the table declares \"{attr}\" as type {declared}, so stream records always carry it as \
                 {{\"{declared}\": ...}}, never under \"{used}\": no record can match this condition"
            ),
            format!("use the declared type key: {{\"{attr}\": {{\"{declared}\": {value}}}}}"),
        );
    }

    /// The span of path segment `at` (0-based) of the field being walked: its key's, or the part
    /// of a dotted key that holds it when the key is written without escapes.
    fn segment_span(&self, at: usize) -> Option<Span> {
        let mut first = 0;
        for (key, span, end) in &self.keys {
            if at < *end {
                let raw = &self.text[span.range()];
                if *end - first == 1 || raw.get(1..raw.len().saturating_sub(1)) != Some(key.as_str()) {
                    return Some(*span);
                }
                let before: usize = key.split('.').take(at - first).map(|s| s.len() + 1).sum();
                let len = key.split('.').nth(at - first)?.len();
                let start = span.start + 1 + before;
                return Some(Span::new(start, start + len));
            }
            first = *end;
        }
        None
    }

    /// `rest`: the path below `NewImage`/`OldImage`/`Keys`, starting with an attribute name.
    fn attribute(&mut self, rest: &[&str], path: &str, key_span: Span, leaf_span: Span, conditions: &[Condition]) {
        // Alternate attribute name, type key; `M` leads to a name again, `L` to a type key again; a
        // scalar type key ends the walk.
        let mut need_type = false;
        let mut last_type = "";
        for (i, &seg) in rest.iter().enumerate() {
            if !need_type {
                need_type = true;
                continue;
            }
            if !TYPE_KEYS.contains(&seg) {
                self.push(
                    "unknown-type-key",
                    key_span,
                    format!("\"{seg}\" in \"{path}\" is not a DynamoDB attribute type, so this never matches"),
                    format!("use one of {}", TYPE_KEYS.join(", ")),
                );
                return;
            }
            last_type = seg;
            match seg {
                "M" => need_type = false,
                "L" => {}
                _ if i + 1 < rest.len() => return, // below a scalar: not DynamoDB's shape, not ours to judge
                _ => {}
            }
        }
        let done = need_type && !matches!(last_type, "" | "M" | "L") && rest.len() > 1;
        if !done {
            // The leaf sits on an attribute (or map/list) object, not on a typed value.
            let attr = rest.last().copied().unwrap_or_default();
            let leaf_text = &self.text[leaf_span.range()];
            let only_absent = conditions.iter().all(|c| matches!(c.test, Test::Exists(false)));
            if only_absent {
                self.push(
                    "exists-false-on-attribute",
                    key_span,
                    format!(
                        "exists: false on \"{path}\" is always true: the attribute is an object (its value sits under a \
                         type key), never a leaf"
                    ),
                    format!("{{\"{attr}\": {{\"S\": {leaf_text}}}}} (the attribute's type key)"),
                );
            } else {
                self.push(
                    "missing-type-key",
                    key_span,
                    format!(
                        "\"{path}\" is a DynamoDB attribute, an object like {{\"S\": \"...\"}}: a condition on it without \
                         its type key never matches"
                    ),
                    format!("{{\"{attr}\": {{\"S\": {leaf_text}}}}}"),
                );
            }
            return;
        }
        if last_type == "N" || last_type == "NS" {
            for c in conditions {
                let numeric = match &c.test {
                    Test::Numeric(_) => Some("a numeric range"),
                    Test::Number(_) => Some("a number literal"),
                    Test::AnythingBut(AnythingBut::Numbers(_)) => Some("anything-but with numbers"),
                    _ => None,
                };
                if let Some(what) = numeric {
                    let text = &self.text[c.span.range()];
                    self.push(
                        "numeric-on-dynamodb-number",
                        c.span,
                        format!(
                            "{what} ({text}) under \"{path}\": DynamoDB numbers are strings in stream records, so it never \
                             matches (no numeric condition matches a DynamoDB number)"
                        ),
                        "match the number's text, e.g. {\"N\": [\"42\"]}, or a prefix".into(),
                    );
                }
            }
        }
    }

    /// Lints that need the branch structure: images absent by event name or stream view type,
    /// payload format mismatches.
    fn branches(&mut self, ast: &Object, compiled: &Compiled, options: &LintOptions) {
        for b in &compiled.branches {
            if self.source == Source::DynamoDb {
                self.images(ast, compiled, b, options);
            }
            if let (Some(key), true) = (
                self.source.data_key(),
                matches!(self.source, Source::Sqs | Source::Kafka | Source::Mq | Source::Kinesis),
            ) {
                let inside = |b: &Branch, json: bool| {
                    b.fields.iter().any(|f| {
                        let p = &*compiled.paths[f.path];
                        p.strip_prefix(key).is_some_and(|r| if json { r.starts_with('.') } else { r.is_empty() })
                    })
                };
                let (uses_json, uses_text) = (inside(b, true), inside(b, false));
                let prefix = format!("{key}.");
                if uses_json && uses_text {
                    let span = find(ast, "", &|p| p == key).unwrap_or(ast.span);
                    self.push(
                        "data-json-and-text",
                        span,
                        format!("this filter treats \"{key}\" both as a plain string and as JSON: it never matches"),
                        "use separate filters for text and JSON payloads".to_string(),
                    );
                }
                match options.data_format {
                    Some(DataFormat::Text) if uses_json => {
                        let span = find(ast, "", &|p| p.starts_with(&prefix)).unwrap_or(ast.span);
                        self.push(
                            "data-pattern-on-text",
                            span,
                            format!("the payloads are declared plain text, but this filter addresses fields inside \"{key}\": it never matches"),
                            format!("match the text itself: {{\"{key}\": [{{\"prefix\": \"...\"}}]}}"),
                        );
                    }
                    Some(DataFormat::Json) if uses_text => {
                        let span = find(ast, "", &|p| p == key).unwrap_or(ast.span);
                        self.push(
                            "text-pattern-on-json",
                            span,
                            format!("the payloads are declared JSON, but this filter matches \"{key}\" as a plain string: it never matches"),
                            format!("address a field inside it: {{\"{key}\": {{\"field\": [...]}}}}"),
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    fn images(&mut self, ast: &Object, compiled: &Compiled, b: &Branch, options: &LintOptions) {
        let names = event_names(compiled, b);
        for (image, missing_on, allowed) in [
            ("OldImage", "INSERT", [StreamViewType::OldImage, StreamViewType::NewAndOldImages]),
            ("NewImage", "REMOVE", [StreamViewType::NewImage, StreamViewType::NewAndOldImages]),
        ] {
            let prefix = format!("dynamodb.{image}");
            let required = b.fields.iter().any(|f| {
                let p = &*compiled.paths[f.path];
                (p == prefix || p.starts_with(&format!("{prefix}."))) && !f.absent_ok
            });
            if !required {
                continue;
            }
            let span = find(ast, "", &|p| p.starts_with(&prefix)).unwrap_or(ast.span);
            if let Some(names) = &names {
                if !names.is_empty() && names.iter().all(|n| n == missing_on) {
                    self.push(
                        "image-absent-for-event",
                        span,
                        format!("{missing_on} records carry no {image}: a condition on it never matches with eventName {missing_on}"),
                        format!("use {} for {missing_on} records", if image == "OldImage" { "NewImage" } else { "OldImage" }),
                    );
                }
            }
            if let Some(view) = options.stream_view_type {
                if !allowed.contains(&view) {
                    self.push(
                        "image-absent-for-stream",
                        span,
                        format!(
                            "the stream's view type is {}, whose records carry no {image}: this never matches",
                            match view {
                                StreamViewType::KeysOnly => "KEYS_ONLY",
                                StreamViewType::NewImage => "NEW_IMAGE",
                                StreamViewType::OldImage => "OLD_IMAGE",
                                StreamViewType::NewAndOldImages => "NEW_AND_OLD_IMAGES",
                            }
                        ),
                        "change the stream view type (NEW_AND_OLD_IMAGES carries both images) or filter on Keys".into(),
                    );
                }
            }
        }
    }
}

/// The top-level fields of each source's records as filters see them (SPEC §5.1, §6); `None` when
/// nothing is known (raw records).
fn record_fields(source: Source) -> Option<&'static [&'static str]> {
    Some(match source {
        Source::DynamoDb => &[
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "eventSourceARN",
            "userIdentity",
            "dynamodb",
        ],
        Source::Kinesis => &[
            "kinesisSchemaVersion",
            "partitionKey",
            "sequenceNumber",
            "data",
            "approximateArrivalTimestamp",
            "encryptionType",
            "eventSource",
            "eventVersion",
            "eventID",
            "eventName",
            "invokeIdentityArn",
            "awsRegion",
            "eventSourceARN",
        ],
        Source::Sqs => &[
            "messageId",
            "receiptHandle",
            "body",
            "attributes",
            "messageAttributes",
            "md5OfBody",
            "md5OfMessageAttributes",
            "eventSource",
            "eventSourceARN",
            "awsRegion",
        ],
        Source::Kafka => &["topic", "partition", "offset", "timestamp", "timestampType", "key", "value", "headers"],
        Source::Mq => &[
            "messageID",
            "messageType",
            "timestamp",
            "deliveryMode",
            "correlationID",
            "replyTo",
            "destination",
            "redelivered",
            "type",
            "expiration",
            "priority",
            "data",
            "brokerInTime",
            "brokerOutTime",
            "properties",
            "basicProperties",
        ],
        _ => return None,
    })
}

fn source_title(source: Source) -> &'static str {
    match source {
        Source::DynamoDb => "DynamoDB Streams",
        Source::Kinesis => "Kinesis",
        Source::Sqs => "SQS",
        Source::Kafka => "Kafka",
        Source::Mq => "Amazon MQ",
        _ => "raw",
    }
}

/// The strings a test compares with.
fn strings(test: &Test) -> Vec<&str> {
    match test {
        Test::String(s) | Test::EqualsIgnoreCase(s) => vec![s],
        Test::Prefix { value, .. } | Test::Suffix { value, .. } => vec![value],
        Test::Wildcard { source, .. } => vec![source],
        Test::AnythingBut(
            AnythingBut::Strings(l)
            | AnythingBut::Prefixes(l)
            | AnythingBut::Suffixes(l)
            | AnythingBut::EqualsIgnoreCase(l),
        ) => l.iter().map(String::as_str).collect(),
        Test::AnythingBut(AnythingBut::Wildcards(l)) => l.iter().map(|(s, _)| s.as_str()).collect(),
        _ => Vec::new(),
    }
}

/// Does `s` look like template text that was never resolved? Returns what it looks like.
pub(crate) fn placeholder(s: &str) -> Option<&'static str> {
    const SHORT_FORMS: [&str; 12] = [
        "!Ref ",
        "!Sub ",
        "!GetAtt ",
        "!ImportValue ",
        "!Join ",
        "!Select ",
        "!FindInMap ",
        "!If ",
        "!Split ",
        "!Base64 ",
        "!GetAZs ",
        "!Cidr ",
    ];
    if SHORT_FORMS.iter().any(|f| s.starts_with(f)) {
        return Some("a CloudFormation short-form intrinsic function written inside a string");
    }
    if s.starts_with("Fn::") || s.starts_with("{\"Ref\"") || s.starts_with("{\"Fn::") {
        return Some("a CloudFormation intrinsic function written inside a string");
    }
    if s.contains("{{resolve:") {
        return Some("a CloudFormation dynamic reference");
    }
    if let Some(start) = s.find("${") {
        if s[start..].contains('}') {
            return Some("a ${...} substitution");
        }
    }
    if let Some(start) = s.find("#{") {
        if s[start..].contains('}') {
            return Some("a #{...} substitution");
        }
    }
    if let Some(start) = s.find("{{") {
        if s[start..].contains("}}") {
            return Some("a {{...}} template expression");
        }
    }
    None
}

/// The exact `eventName` values a branch requires, if it requires any.
fn event_names(compiled: &Compiled, b: &Branch) -> Option<Vec<String>> {
    let f = b.fields.iter().find(|f| &*compiled.paths[f.path] == "eventName" && !f.absent_ok)?;
    f.matchers
        .iter()
        .map(|m| match m {
            Matcher::String(s) => Some(s.to_string()),
            _ => None,
        })
        .collect()
}

/// The key span of the first field whose path satisfies `want`.
fn find(object: &Object, prefix: &str, want: &dyn Fn(&str) -> bool) -> Option<Span> {
    for m in &object.members {
        match m {
            Member::Field { key, key_span, value } => {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                if want(&path) {
                    return Some(*key_span);
                }
                if let FieldValue::Object(inner) = value {
                    if let Some(s) = find(inner, &path, want) {
                        return Some(s);
                    }
                }
            }
            Member::Or { branches, .. } => {
                if let Some(s) = branches.iter().find_map(|b| find(b, prefix, want)) {
                    return Some(s);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lints(source: Source, pattern: &str, options: LintOptions) -> Vec<(&'static str, String)> {
        let doc = format!("{{\"Filters\": [{{\"Pattern\": {}}}]}}", serde_json::json!(pattern));
        let f = Filter::new(&doc, source).unwrap();
        f.lints_with(&options).into_iter().map(|l| (l.code, doc[l.span.range()].to_string())).collect()
    }

    fn codes(source: Source, pattern: &str) -> Vec<&'static str> {
        lints(source, pattern, LintOptions::default()).into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn dynamodb_lints() {
        let d = Source::DynamoDb;
        assert_eq!(
            codes(d, r#"{"dynamodb": {"NewImage": {"qty": {"N": [{"numeric": [">", 1]}]}}}}"#),
            ["numeric-on-dynamodb-number"]
        );
        assert_eq!(codes(d, r#"{"dynamodb": {"NewImage": {"qty": {"N": [5]}}}}"#), ["numeric-on-dynamodb-number"]);
        assert_eq!(codes(d, r#"{"dynamodb": {"NewImage": {"qty": {"N": ["5"]}}}}"#), Vec::<&str>::new());
        assert_eq!(codes(d, r#"{"dynamodb": {"Keys": {"id": ["x"]}}}"#), ["missing-type-key"]);
        assert_eq!(
            codes(d, r#"{"dynamodb": {"NewImage": {"a": [{"exists": false}]}}}"#),
            ["exists-false-on-attribute"]
        );
        assert_eq!(codes(d, r#"{"dynamodb": {"NewImage": {"a": {"S": [{"exists": false}]}}}}"#), Vec::<&str>::new());
        assert_eq!(codes(d, r#"{"dynamodb": {"NewImage": {"a": {"M": {"b": {"S": ["x"]}}}}}}"#), Vec::<&str>::new());
        assert_eq!(codes(d, r#"{"dynamodb": {"NewImage": {"a": {"M": {"b": ["x"]}}}}}"#), ["missing-type-key"]);
        assert_eq!(codes(d, r#"{"dynamodb": {"NewImage": {"a": {"L": {"S": ["x"]}}}}}"#), Vec::<&str>::new());
        assert_eq!(codes(d, r#"{"dynamodb": {"NewImage": {"a": {"s": ["x"]}}}}"#), ["unknown-type-key"]);
        assert_eq!(
            codes(d, r#"{"eventName": ["INSERT"], "dynamodb": {"OldImage": {"a": {"S": ["x"]}}}}"#),
            ["image-absent-for-event"]
        );
        assert_eq!(
            codes(d, r#"{"eventName": ["INSERT", "MODIFY"], "dynamodb": {"OldImage": {"a": {"S": ["x"]}}}}"#),
            Vec::<&str>::new()
        );
        let keys_only = LintOptions::default().stream_view_type(StreamViewType::NewImage);
        let found = lints(d, r#"{"dynamodb": {"OldImage": {"a": {"S": ["x"]}}}}"#, keys_only);
        assert_eq!(found, [("image-absent-for-stream", "\\\"OldImage\\\"".to_string())]);
        assert_eq!(codes(d, r#"{"eventSourceARN": ["arn"], "eventName": ["INSERT"]}"#), ["poller-field"]);
    }

    #[test]
    fn key_type_lints() {
        let d = Source::DynamoDb;
        let table = LintOptions::default().attribute_types([
            ("pk", AttributeType::String),
            ("sk", AttributeType::Number),
            ("blob", AttributeType::Binary),
        ]);
        let key = |pattern: &str| lints(d, pattern, table.clone());
        let at = |code: &'static str, text: &str| vec![(code, text.to_string())];
        // Keys, each image, nested below the wrong type key, a dotted key: at the type key used.
        assert_eq!(key(r#"{"dynamodb": {"Keys": {"pk": {"N": ["42"]}}}}"#), at("key-type-mismatch", r#"\"N\""#));
        assert_eq!(
            key(r#"{"dynamodb": {"NewImage": {"sk": {"S": [{"prefix": "A"}]}}}}"#),
            at("key-type-mismatch", r#"\"S\""#)
        );
        assert_eq!(key(r#"{"dynamodb": {"OldImage": {"blob": {"S": ["x"]}}}}"#), at("key-type-mismatch", r#"\"S\""#));
        assert_eq!(
            key(r#"{"dynamodb": {"OldImage": {"pk": {"M": {"a": {"S": ["x"]}, "b": {"N": ["1"]}}}}}}"#),
            at("key-type-mismatch", r#"\"M\""#)
        );
        assert_eq!(key(r#"{"dynamodb.Keys.pk.N": ["42"]}"#), at("key-type-mismatch", "N"));
        // In `$or` branches: only the wrong one.
        assert_eq!(
            key(
                r#"{"$or": [{"dynamodb": {"NewImage": {"pk": {"S": ["a"]}}}}, {"dynamodb": {"OldImage": {"sk": {"BOOL": [true]}}}}]}"#
            ),
            at("key-type-mismatch", r#"\"BOOL\""#)
        );
        assert_eq!(
            key(r#"{"dynamodb": {"Keys": {"$or": [{"pk": {"S": ["a"]}}, {"pk": {"NULL": [true]}}]}}}"#),
            at("key-type-mismatch", r#"\"NULL\""#)
        );
        // A missing field matches `exists: false` only: anything-but and `exists: true` never match.
        assert_eq!(key(r#"{"dynamodb": {"NewImage": {"pk": {"N": [{"exists": false}]}}}}"#), vec![]);
        assert_eq!(key(r#"{"dynamodb": {"NewImage": {"pk": {"N": ["1", {"exists": false}]}}}}"#), vec![]);
        assert_eq!(
            key(r#"{"dynamodb": {"NewImage": {"pk": {"N": [{"exists": true}]}}}}"#),
            at("key-type-mismatch", r#"\"N\""#)
        );
        assert_eq!(
            key(r#"{"dynamodb": {"NewImage": {"sk": {"S": [{"anything-but": ["x"]}]}}}}"#),
            at("key-type-mismatch", r#"\"S\""#)
        );
        // The declared types, attributes not declared, other places, unknown type keys: nothing.
        assert_eq!(
            key(
                r#"{"dynamodb": {"Keys": {"pk": {"S": ["a"]}, "sk": {"N": ["1"]}}, "NewImage": {"blob": {"B": ["AA=="]}}}}"#
            ),
            vec![]
        );
        assert_eq!(key(r#"{"dynamodb": {"NewImage": {"status": {"N": ["1"]}}}}"#), vec![]);
        assert_eq!(key(r#"{"dynamodb": {"NewImage": {"other": {"M": {"pk": {"N": ["1"]}}}}}}"#), vec![]);
        assert_eq!(key(r#"{"dynamodb": {"SequenceNumber": ["1"], "pk": {"N": ["1"]}}}"#), vec![]);
        assert_eq!(key(r#"{"dynamodb": {"Keys": {"pk": {"s": ["a"]}}}}"#), at("unknown-type-key", r#"\"s\""#));
        assert_eq!(codes(d, r#"{"dynamodb": {"Keys": {"pk": {"N": ["42"]}}}}"#), Vec::<&str>::new());
        assert_eq!(lints(Source::Sqs, r#"{"body": {"Keys": {"pk": {"N": ["42"]}}}}"#, table.clone()), vec![]);
        // What it says.
        let doc =
            r#"{"Filters": [{"Pattern": "{\"dynamodb\": {\"NewImage\": {\"sk\": {\"S\": [{\"prefix\": \"A\"}]}}}}"}]}"#;
        let l = &Filter::new(doc, d).unwrap().lints_with(&table)[0];
        assert_eq!(
            l.message,
            r#"the table declares "sk" as type N, so stream records always carry it as {"N": ...}, never under "S": no record can match this condition"#
        );
        assert_eq!(l.fix, r#"use the declared type key: {"sk": {"N": [{"prefix": "A"}]}}"#);
        assert_eq!((l.line, l.column, &doc[l.span.range()]), (1, 67, r#"\"S\""#));
        // The conditions are carried into the fix only from another string-valued type key.
        let doc = r#"{"Filters": [{"Pattern": "{\"dynamodb\": {\"Keys\": {\"pk\": {\"BOOL\": [true]}}}}"}]}"#;
        let l = &Filter::new(doc, d).unwrap().lints_with(&table)[0];
        assert_eq!(l.fix, r#"use the declared type key: {"pk": {"S": ...}}"#);
    }

    #[test]
    fn source_schema_and_placeholder_lints() {
        assert_eq!(codes(Source::DynamoDb, r#"{"data": {"a": ["x"]}}"#), ["wrong-data-key"]);
        assert_eq!(codes(Source::Sqs, r#"{"dynamodb": {"a": ["x"]}}"#), ["wrong-data-key"]);
        assert_eq!(codes(Source::Kinesis, r#"{"body": {"a": ["x"]}}"#), ["wrong-data-key"]);
        assert_eq!(codes(Source::Sqs, r#"{"source": ["aws.s3"]}"#), ["unknown-record-field"]);
        assert_eq!(codes(Source::Kinesis, r#"{"kinesis": {"data": {"a": ["x"]}}}"#), ["unknown-record-field"]);
        assert_eq!(codes(Source::Kafka, r#"{"$or": [{"topic": ["t"]}, {"detail": ["x"]}]}"#), ["unknown-record-field"]);
        assert_eq!(
            codes(Source::Sqs, r#"{"body": {"a": ["x"]}, "messageAttributes": {"k": {"stringValue": ["v"]}}}"#),
            Vec::<&str>::new()
        );
        assert_eq!(codes(Source::Raw, r#"{"anything": ["x"]}"#), Vec::<&str>::new());
        assert_eq!(
            codes(Source::Mq, r#"{"data": {"a": ["x"]}, "messageType": ["jms/text-message"]}"#),
            Vec::<&str>::new()
        );
        let found = lints(Source::Kafka, r#"{"topic": [{"prefix": "!Ref MSKTopicName"}]}"#, LintOptions::default());
        assert_eq!(found, [("template-placeholder", "\\\"!Ref MSKTopicName\\\"".to_string())]);
        assert_eq!(codes(Source::Sqs, r#"{"body": {"stage": ["${Stage}"]}}"#), ["template-placeholder"]);
        assert_eq!(codes(Source::Sqs, r#"{"body": {"stage": ["$5 {off}"]}}"#), Vec::<&str>::new());
        let p = crate::Pattern::new(r#"{"detail": {"${Key}": [{"anything-but": ["{{resolve:ssm:x}}"]}]}}"#).unwrap();
        let codes: Vec<_> = p.lints().iter().map(|l| &p.source()[l.span.range()]).map(str::to_string).collect();
        assert_eq!(codes, ["\"${Key}\"", "[\"{{resolve:ssm:x}}\"]"]);
    }

    #[test]
    fn payload_lints() {
        assert_eq!(codes(Source::Sqs, r#"{"body": ["x"], "body.a": ["y"]}"#), ["data-json-and-text"]);
        let text = LintOptions::default().data_format(DataFormat::Text);
        assert_eq!(lints(Source::Kafka, r#"{"value": {"a": ["x"]}}"#, text)[0].0, "data-pattern-on-text");
        let json = LintOptions::default().data_format(DataFormat::Json);
        assert_eq!(lints(Source::Mq, r#"{"data": [{"prefix": "x"}]}"#, json)[0].0, "text-pattern-on-json");
        assert_eq!(codes(Source::Kinesis, r#"{"eventName": ["aws:kinesis:record"]}"#), ["poller-field"]);
    }
}
