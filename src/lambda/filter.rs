//! [`Filter`]: a FilterCriteria compiled for one source, applied to records one at a time.

use std::sync::Arc;

use super::criteria::FilterCriteria;
use super::kinesis::Plan;
use super::view::{self, Payload, ViewScratch};
use super::Source;
use crate::compile::ir::{Branch, Compiled};
use crate::error::{Error, ErrorKind, Span};
use crate::event::{ReadMode, DEFAULT_MAX_EVENT_DEPTH};
use crate::machine::{Machine, Scratch as MachineScratch};
use crate::matcher::{Pattern, PatternBuilder};
use crate::syntax::ast::{FieldValue, Member, Object};
use crate::syntax::dialect::Dialect;

/// Filters allowed in one FilterCriteria by default (SPEC §4.1).
pub const DEFAULT_MAX_FILTERS: usize = 5;
/// The most filters [`FilterBuilder::max_filters`] accepts (AWS's raised quota).
pub const MAX_FILTERS: usize = 10;

/// What a filter does when its pattern and a record's data property disagree in form (SPEC §4.5):
/// the pattern addresses fields inside the data (`{"body": {"state": [...]}}`) but the payload is
/// not JSON, or the pattern gives a plain-string condition (`{"body": [{"prefix": "x"}]}`) but the
/// payload is JSON, or the payload cannot be decoded at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Mismatch {
    /// The pattern (that `$or` branch of it) does not match; the record is dropped unless another
    /// filter matches. The default for every source (SPEC §10), as Lambda does for SQS.
    #[default]
    Drop,
    /// The pattern's conditions on the data property are ignored and the rest (metadata) decides,
    /// the reading of the Kafka and MQ documentation ("filters on the other metadata properties
    /// only").
    IgnoreDataConditions,
}

/// Options for compiling a [`Filter`].
///
/// ```
/// use eventsift::lambda::{Filter, Mismatch};
/// use eventsift::Source;
///
/// let filter = Filter::builder(Source::Kafka)
///     .max_filters(10)
///     .mismatch(Mismatch::IgnoreDataConditions)
///     .build(r#"{"Filters": [{"Pattern": "{\"value\": {\"device\": [\"a\"]}, \"topic\": [\"t\"]}"}]}"#)?;
/// // The value is a plain string, not JSON: only `topic` decides.
/// assert!(filter.matches(r#"{"topic": "t", "partition": 0, "offset": 1, "value": "aGVsbG8="}"#)?);
/// # Ok::<(), eventsift::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FilterBuilder {
    source: Source,
    max_filters: usize,
    mismatch: Mismatch,
    read_mode: ReadMode,
    max_event_depth: usize,
    lenient: bool,
    options: PatternBuilder,
}

impl FilterBuilder {
    fn new(source: Source) -> FilterBuilder {
        FilterBuilder {
            source,
            max_filters: DEFAULT_MAX_FILTERS,
            mismatch: Mismatch::Drop,
            read_mode: ReadMode::Skip,
            max_event_depth: DEFAULT_MAX_EVENT_DEPTH,
            lenient: false,
            options: Pattern::builder().dialect(Dialect::LambdaEsm),
        }
    }

    /// Most filters allowed (default 5; at most [`MAX_FILTERS`], larger values are clamped).
    pub fn max_filters(mut self, n: usize) -> Self {
        self.max_filters = n.min(MAX_FILTERS);
        self
    }

    /// What a pattern does when its form and the payload's disagree (default [`Mismatch::Drop`]).
    pub fn mismatch(mut self, policy: Mismatch) -> Self {
        self.mismatch = policy;
        self
    }

    /// How much of each record to validate. The default, [`ReadMode::Skip`], checks the record's
    /// structure and what the filters read; [`ReadMode::Strict`] validates every record in full
    /// (a record that is not valid JSON anywhere is then dropped as invalid).
    pub fn read_mode(mut self, mode: ReadMode) -> Self {
        self.read_mode = mode;
        self
    }

    /// Maximum nesting of records and decoded payloads (default 128).
    pub fn max_event_depth(mut self, depth: usize) -> Self {
        self.max_event_depth = depth;
        self
    }

    /// Accept a `Pattern` written as a JSON object instead of a string (off by default: Lambda
    /// requires a string).
    pub fn lenient_patterns(mut self, yes: bool) -> Self {
        self.lenient = yes;
        self
    }

    /// Options (dialect, limits) for compiling each pattern. The default is the
    /// [`Dialect::LambdaEsm`] dialect with its limits (4,096 characters per pattern).
    pub fn pattern_options(mut self, options: PatternBuilder) -> Self {
        self.options = options;
        self
    }

    /// Parses and compiles a FilterCriteria document. Errors name the filter
    /// ([`Error::filter_index`]) and point into the document, through the escapes of the
    /// `Pattern` string.
    pub fn build(&self, criteria: &str) -> Result<Filter, Error> {
        let parsed =
            if self.lenient { FilterCriteria::parse_lenient(criteria)? } else { FilterCriteria::parse(criteria)? };
        self.build_criteria(parsed)
    }

    /// Compiles filters given as pattern texts.
    pub fn build_patterns<I, S>(&self, patterns: I) -> Result<Filter, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.build_criteria(FilterCriteria::from_patterns(patterns))
    }

    /// Compiles parsed criteria.
    pub fn build_criteria(&self, criteria: FilterCriteria) -> Result<Filter, Error> {
        if criteria.len() > self.max_filters {
            let span = criteria.filter_span(self.max_filters);
            let reason = format!(
                "{} filters, but at most {} are allowed{}",
                criteria.len(),
                self.max_filters,
                if self.max_filters < MAX_FILTERS { " (the quota can be raised to 10)" } else { "" }
            );
            let doc = criteria.document().to_string();
            return Err(Error::new(ErrorKind::TooManyFilters, span, reason, &doc).with_filter(self.max_filters));
        }
        let data_key = self.source.data_key();
        let mut patterns = Vec::with_capacity(criteria.len());
        for (i, text) in criteria.patterns().enumerate() {
            let pattern = self.options.build(text).map_err(|e| criteria.locate(i, e))?;
            if let (Source::Kinesis | Source::DynamoDb, Some(key)) = (self.source, data_key) {
                if let Some(span) = plain_condition_on(pattern.ast(), key, None) {
                    let reason = format!(
                        "a plain-string condition on \"{key}\" is not allowed for {} records, whose {key} is matched \
                         as JSON: address a field inside it, e.g. {{\"{key}\": {{\"field\": [...]}}}}",
                        self.source
                    );
                    let e = Error::new(ErrorKind::PlainDataPattern, span, reason, text);
                    return Err(criteria.locate(i, e));
                }
            }
            patterns.push(pattern);
        }
        let decode = match data_key {
            Some(key) if matches!(self.source, Source::Kinesis | Source::Sqs | Source::Kafka | Source::Mq) => {
                patterns.iter().any(|p| p.paths().any(|path| addresses(path, key).is_some()))
            }
            _ => false,
        };
        let payloads = [Payload::AsIs, Payload::Json, Payload::Plain, Payload::Undecodable];
        let machines: Vec<Machine> = payloads
            .iter()
            .map(|&payload| {
                let mut b = Machine::builder();
                b.read_mode(self.read_mode).max_event_depth(self.max_event_depth);
                for (i, p) in patterns.iter().enumerate() {
                    let compiled = match data_key {
                        Some(key) => variant(p.compiled(), key, payload, self.mismatch),
                        None => p.compiled().clone(),
                    };
                    b.add_compiled(i.to_string(), compiled);
                }
                b.build()
            })
            .collect();
        let kinesis = match self.source {
            Source::Kinesis => machines.iter().map(Plan::new).collect(),
            _ => None,
        };
        Ok(Filter {
            inner: Arc::new(Inner {
                source: self.source,
                criteria,
                patterns,
                decode,
                machines,
                kinesis,
                max_event_depth: self.max_event_depth,
            }),
        })
    }
}

/// Does `path` address the data property `key`: `Some(true)` inside it (JSON), `Some(false)` the
/// property itself (a plain string), `None` not at all.
fn addresses(path: &str, key: &str) -> Option<bool> {
    let rest = path.strip_prefix(key)?;
    if rest.is_empty() {
        Some(false)
    } else if rest.starts_with('.') {
        Some(true)
    } else {
        None
    }
}

/// The compiled pattern as it applies to records whose payload is `payload` (see [`Mismatch`]).
fn variant(compiled: &Compiled, key: &str, payload: Payload, policy: Mismatch) -> Compiled {
    let uses = |b: &Branch, json: bool| b.fields.iter().any(|f| addresses(&compiled.paths[f.path], key) == Some(json));
    let mismatched = |b: &Branch| match payload {
        Payload::AsIs => false,
        Payload::Json => uses(b, false),
        Payload::Plain => uses(b, true),
        Payload::Undecodable => uses(b, true) || uses(b, false),
    };
    let mut out = Compiled { paths: compiled.paths.clone(), branches: Vec::with_capacity(compiled.branches.len()) };
    for b in &compiled.branches {
        if !mismatched(b) {
            out.branches.push(b.clone());
        } else if policy == Mismatch::IgnoreDataConditions {
            let fields =
                b.fields.iter().filter(|f| addresses(&compiled.paths[f.path], key).is_none()).cloned().collect();
            out.branches.push(Branch { fields });
        }
    }
    out
}

/// The span of a leaf array placed directly on the top-level data property `key`, if any (`$or`
/// branches included). `prefix` is the dotted path of `object`, `None` at the top level (an empty
/// key is a path segment too: `{"": {"dynamodb": …}}` is the path `.dynamodb`).
fn plain_condition_on(object: &Object, key: &str, prefix: Option<&str>) -> Option<Span> {
    for m in &object.members {
        match m {
            Member::Field { key: k, value, .. } => {
                let path = match prefix {
                    None => k.clone(),
                    Some(prefix) => format!("{prefix}.{k}"),
                };
                match value {
                    FieldValue::Leaf { span, .. } if path == key => return Some(*span),
                    FieldValue::Object(inner) if key.starts_with(&path) => {
                        if let Some(span) = plain_condition_on(inner, key, Some(&path)) {
                            return Some(span);
                        }
                    }
                    _ => {}
                }
            }
            Member::Or { branches, .. } => {
                if let Some(span) = branches.iter().find_map(|b| plain_condition_on(b, key, prefix)) {
                    return Some(span);
                }
            }
        }
    }
    None
}

/// A FilterCriteria compiled for one event source: decides, record by record, what Lambda would
/// deliver. Immutable, `Send + Sync`, cheap to clone.
///
/// ```
/// use eventsift::lambda::Filter;
/// use eventsift::Source;
///
/// let filter = Filter::new(
///     r#"{"Filters": [{"Pattern": "{\"body\": {\"RequestCode\": [\"BBBB\"]}}"}]}"#,
///     Source::Sqs,
/// )?;
/// assert!(filter.matches(r#"{"messageId": "1", "body": "{\"RequestCode\": \"BBBB\"}"}"#)?);
/// assert!(!filter.matches(r#"{"messageId": "2", "body": "{\"RequestCode\": \"AAAA\"}"}"#)?);
/// // A JSON pattern never matches a plain-string body (SQS drops the message).
/// assert!(!filter.matches(r#"{"messageId": "3", "body": "RequestCode BBBB"}"#)?);
/// # Ok::<(), eventsift::Error>(())
/// ```
#[derive(Clone)]
pub struct Filter {
    inner: Arc<Inner>,
}

struct Inner {
    source: Source,
    criteria: FilterCriteria,
    patterns: Vec<Pattern>,
    /// Some filter addresses the data property: decode it.
    decode: bool,
    /// One machine per [`Payload`] kind, rule `i` being filter `i`.
    machines: Vec<Machine>,
    /// Kinesis filters: what each machine reads of a record given by its fields
    /// ([`Filter::evaluate_kinesis`]); `None` when that record is decided on its text.
    kinesis: Option<Vec<Plan>>,
    max_event_depth: usize,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("source", &self.inner.source)
            .field("patterns", &self.inner.criteria.patterns().collect::<Vec<_>>())
            .finish()
    }
}

/// The decision on one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Does Lambda deliver the record (some filter matches, or there are no filters)?
    pub keep: bool,
    /// What the data property turned out to be.
    pub payload: Payload,
    /// Bit `i` is set when filter `i` matches.
    pub filters: u16,
}

/// Working memory for filtering records one after another on one thread. After the first few
/// records, filtering allocates nothing.
#[derive(Default, Debug)]
pub struct Scratch {
    pub(crate) view: ViewScratch,
    pub(crate) machine: MachineScratch,
    /// A record's text, when a typed record is decided on it ([`Filter::evaluate_kinesis`]).
    pub(crate) json: String,
    /// The open containers of a typed record's payload as it is read ([`Filter::evaluate_kinesis`]).
    pub(crate) frames: Vec<crate::event::flat::Frame>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch (a fresh one when re-entered).
pub(crate) fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|cell| {
        let mut scratch = cell.take();
        let out = f(&mut scratch);
        cell.set(scratch);
        out
    })
}

impl Filter {
    /// Compiles a FilterCriteria document for `source` with the default options (see
    /// [`FilterBuilder`]).
    pub fn new(criteria: &str, source: Source) -> Result<Filter, Error> {
        FilterBuilder::new(source).build(criteria)
    }

    /// Options for compiling a filter for `source`.
    pub fn builder(source: Source) -> FilterBuilder {
        FilterBuilder::new(source)
    }

    /// The source this filter was compiled for.
    pub fn source(&self) -> Source {
        self.inner.source
    }

    /// The parsed criteria.
    pub fn criteria(&self) -> &FilterCriteria {
        &self.inner.criteria
    }

    /// The compiled pattern of each filter.
    pub fn patterns(&self) -> &[Pattern] {
        &self.inner.patterns
    }

    /// Does Lambda deliver this record (JSON text, as it appears in the invocation event)? A
    /// record that is not a JSON object, or whose data property is malformed, is an error.
    pub fn matches(&self, record: &str) -> Result<bool, Error> {
        with_scratch(|s| self.decide(record, s, true).map(|v| v.keep))
    }

    /// [`matches`](Self::matches) for a record held as a `serde_json::Value`.
    pub fn matches_value(&self, record: &serde_json::Value) -> Result<bool, Error> {
        if self.inner.criteria.is_empty() {
            return Ok(true);
        }
        if !self.inner.decode && self.inner.source != Source::Kinesis {
            return with_scratch(|s| Ok(self.inner.machines[0].matches_value(record, &mut s.machine).next().is_some()));
        }
        self.matches(&record.to_string())
    }

    /// The full decision on one record: kept or not, the payload's kind, which filters matched.
    pub fn evaluate(&self, record: &str, scratch: &mut Scratch) -> Result<Verdict, Error> {
        self.decide(record, scratch, false)
    }

    /// [`evaluate`](Self::evaluate) for a record whose data property is base64 — Kinesis `data`,
    /// Kafka `value`, MQ `data` — when the caller already holds the decoded bytes (a consumer that
    /// read them from the service and has just encoded them into the record): `data` is used in
    /// place of decoding the record's base64 again. It must be exactly what that base64 decodes
    /// to; the verdict is then [`evaluate`](Self::evaluate)'s. `data` is not used for the other
    /// sources, nor when the record has no data property (or a `null` one).
    ///
    /// ```
    /// use eventsift::lambda::{Filter, Payload, Scratch};
    /// use eventsift::Source;
    ///
    /// let filter = Filter::new(r#"{"Filters": [{"Pattern": "{\"data\": {\"temp\": [{\"numeric\": [\">\", 20]}]}}"}]}"#, Source::Kinesis)?;
    /// let record = r#"{"kinesis": {"partitionKey": "p", "data": "eyJ0ZW1wIjogMjF9"}, "eventSource": "aws:kinesis"}"#;
    /// let mut scratch = Scratch::default();
    /// let verdict = filter.evaluate_decoded(record, br#"{"temp": 21}"#, &mut scratch)?;
    /// assert!(verdict.keep);
    /// assert_eq!(verdict.payload, Payload::Json);
    /// assert_eq!(verdict, filter.evaluate(record, &mut scratch)?);
    /// # Ok::<(), eventsift::Error>(())
    /// ```
    pub fn evaluate_decoded(&self, record: &str, data: &[u8], scratch: &mut Scratch) -> Result<Verdict, Error> {
        self.decide_with(record, Some(data), scratch, false)
    }

    pub(crate) fn decide(&self, record: &str, scratch: &mut Scratch, first: bool) -> Result<Verdict, Error> {
        self.decide_with(record, None, scratch, first)
    }

    /// What the typed Kinesis path needs ([`Filter::evaluate_kinesis`]): each machine's plan, the
    /// machines, whether any filter addresses `data`, the depth limit, and whether there are no
    /// filters. `None` when it does not apply.
    pub(crate) fn kinesis_parts(&self) -> Option<KinesisParts<'_>> {
        let inner = &*self.inner;
        Some(KinesisParts {
            plans: inner.kinesis.as_deref()?,
            machines: &inner.machines,
            decode: inner.decode,
            max_depth: inner.max_event_depth,
            empty: inner.criteria.is_empty(),
        })
    }

    /// The decision on `record`, its base64 data property given decoded in `data` (see
    /// [`evaluate_decoded`](Self::evaluate_decoded)). `first`: stop at the first matching filter
    /// (the verdict's `filters` is then 0).
    pub(crate) fn decide_with(
        &self,
        record: &str,
        data: Option<&[u8]>,
        scratch: &mut Scratch,
        first: bool,
    ) -> Result<Verdict, Error> {
        let inner = &*self.inner;
        let (payload, own) =
            view::build_with(inner.source, record, data, inner.decode, inner.max_event_depth, &mut scratch.view)
                .map_err(|e| {
                    if e.kind() == ErrorKind::InvalidRecord {
                        e
                    } else {
                        Error::new(ErrorKind::InvalidRecord, e.span(), e.reason(), record)
                    }
                })?;
        if inner.criteria.is_empty() {
            if !own {
                // Still check that the record is an object.
                let mut s = crate::lambda::scan::Scanner::new(record, 0, ErrorKind::InvalidRecord);
                s.start();
                s.members(|_| true)?;
            }
            return Ok(Verdict { keep: true, payload, filters: 0 });
        }
        let view: &str = if own { &scratch.view.view } else { record };
        let machine = &inner.machines[payload.index()];
        let invalid = |e: Error| {
            if own {
                // Errors in a built view point into the view: report them on the record.
                Error::new(ErrorKind::InvalidRecord, Span::new(0, 0), e.reason(), record)
            } else {
                Error::new(ErrorKind::InvalidRecord, e.span(), e.reason(), record)
            }
        };
        if first {
            let keep = machine.is_match(view, &mut scratch.machine).map_err(invalid)?;
            return Ok(Verdict { keep, payload, filters: 0 });
        }
        let mut filters = 0u16;
        for id in machine.matches(view, &mut scratch.machine).map_err(invalid)? {
            if let Ok(i) = id.as_str().parse::<u32>() {
                filters |= 1 << i;
            }
        }
        Ok(Verdict { keep: filters != 0, payload, filters })
    }

    /// Decides the record at the start of `text` in place, without first finding its end, when the
    /// record is matched as it is (no view to build): returns the verdict and the record's length.
    /// `None` when this does not apply; the caller then finds the record's end and calls
    /// [`decide`](Self::decide).
    pub(crate) fn decide_in_place(&self, text: &str, scratch: &mut Scratch) -> Option<Result<(bool, usize), Error>> {
        let inner = &*self.inner;
        let as_is = match inner.source {
            Source::DynamoDb | Source::Raw => true,
            Source::Sqs | Source::Kafka | Source::Mq => !inner.decode,
            _ => false,
        };
        if !as_is || inner.criteria.is_empty() {
            return None;
        }
        match inner.machines[0].is_match_prefix(text, &mut scratch.machine) {
            Ok((keep, Some(end))) => Some(Ok((keep, end))),
            Ok((_, None)) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Explains the verdict on one record, filter by filter: each filter's pattern explained on the
    /// record's filter view (the data property decoded as Lambda decodes it). The record is kept
    /// when some filter matches ([`Filter::evaluate`] has the verdict, format-mismatch policy
    /// included).
    ///
    /// ```
    /// use eventsift::lambda::Filter;
    /// use eventsift::Source;
    ///
    /// let filter = Filter::new(r#"{"Filters": [{"Pattern": "{\"body\": {\"kind\": [\"order\"]}}"}]}"#, Source::Sqs)?;
    /// let why = filter.explain(r#"{"messageId": "1", "body": "{\"kind\": \"refund\"}"}"#)?;
    /// assert_eq!(why[0].summary, r#"no match: body.kind is "refund", which fails ["order"]"#);
    /// # Ok::<(), eventsift::Error>(())
    /// ```
    pub fn explain(&self, record: &str) -> Result<Vec<crate::Explanation>, Error> {
        let inner = &*self.inner;
        let mut scratch = Scratch::default();
        let (_, own) = view::build(inner.source, record, true, inner.max_event_depth, &mut scratch.view)?;
        let view: &str = if own { &scratch.view.view } else { record };
        inner.patterns.iter().map(|p| p.explain(view)).collect()
    }

    /// Decides records one by one: yields each record with its verdict (`Ok(true)` kept,
    /// `Ok(false)` dropped, `Err` malformed — never silently lost).
    ///
    /// ```
    /// use eventsift::lambda::Filter;
    /// use eventsift::Source;
    ///
    /// let filter = Filter::new(r#"{"Filters": [{"Pattern": "{\"eventName\": [\"INSERT\"]}"}]}"#, Source::DynamoDb)?;
    /// let records = [r#"{"eventName": "INSERT"}"#, r#"{"eventName": "REMOVE"}"#, "not json"];
    /// let verdicts: Vec<_> = filter.sift(records).map(|(_, v)| v.ok()).collect();
    /// assert_eq!(verdicts, [Some(true), Some(false), None]);
    /// # Ok::<(), eventsift::Error>(())
    /// ```
    pub fn sift<I>(&self, records: I) -> Sift<'_, I::IntoIter>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Sift { filter: self, records: records.into_iter(), scratch: Scratch::default() }
    }
}

/// The iterator of [`Filter::sift`].
#[derive(Debug)]
pub struct Sift<'f, I> {
    filter: &'f Filter,
    records: I,
    scratch: Scratch,
}

impl<I> Iterator for Sift<'_, I>
where
    I: Iterator,
    I::Item: AsRef<str>,
{
    type Item = (I::Item, Result<bool, Error>);

    fn next(&mut self) -> Option<Self::Item> {
        let record = self.records.next()?;
        let verdict = self.filter.decide(record.as_ref(), &mut self.scratch, true).map(|v| v.keep);
        Some((record, verdict))
    }
}

/// What [`Filter::kinesis_parts`] lends the typed Kinesis path.
pub(crate) struct KinesisParts<'f> {
    /// One per machine, in [`Payload`] order.
    pub plans: &'f [Plan],
    pub machines: &'f [Machine],
    /// Whether any filter addresses `data`.
    pub decode: bool,
    pub max_depth: usize,
    /// No filters: every record is kept.
    pub empty: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criteria(patterns: &[&str]) -> String {
        let filters: Vec<String> =
            patterns.iter().map(|p| format!("{{\"Pattern\": {}}}", serde_json::json!(p))).collect();
        format!("{{\"Filters\": [{}]}}", filters.join(", "))
    }

    #[test]
    fn errors_point_into_the_document_through_escapes() {
        let doc =
            "{\"Filters\": [\n  {\"Pattern\": \"{\\\"a\\\": [1]}\"},\n  {\"Pattern\": \"{\\\"eventName\\\": []}\"}\n]}";
        let e = Filter::new(doc, Source::DynamoDb).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::EmptyArray);
        assert_eq!(e.filter_index(), Some(1));
        assert_eq!((e.line(), e.column()), (3, 32));
        assert_eq!(&doc[e.span().range()], "[]");
        assert!(e.to_string().starts_with("3:32: filter 1: "), "{e}");
    }

    /// Only the top-level data key is the data property: below an empty key (`{"": {...}}`, the
    /// path `.dynamodb`) it is an ordinary field (found by fuzzing).
    #[test]
    fn plain_data_condition_only_at_the_top_level() {
        let top = Filter::new(&criteria(&[r#"{"dynamodb": ["x"]}"#]), Source::DynamoDb).unwrap_err();
        assert_eq!(top.kind(), ErrorKind::PlainDataPattern);
        let nested = Filter::new(&criteria(&[r#"{"": {"dynamodb": ["x"]}}"#]), Source::DynamoDb).unwrap();
        assert!(nested.matches(r#"{"": {"dynamodb": "x"}}"#).unwrap());
        assert!(!nested.matches(r#"{"dynamodb": "x"}"#).unwrap());
    }

    #[test]
    fn too_many_filters() {
        let six = criteria(&[r#"{"a": [1]}"#; 6]);
        let e = Filter::new(&six, Source::Sqs).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooManyFilters);
        assert_eq!(e.filter_index(), Some(5));
        assert!(Filter::builder(Source::Sqs).max_filters(10).build(&six).is_ok());
        let eleven = criteria(&[r#"{"a": [1]}"#; 11]);
        assert_eq!(
            Filter::builder(Source::Sqs).max_filters(50).build(&eleven).unwrap_err().kind(),
            ErrorKind::TooManyFilters
        );
    }

    #[test]
    fn plain_data_patterns_are_rejected_for_kinesis_and_dynamodb() {
        for (source, p) in [
            (Source::Kinesis, r#"{"data": ["x"]}"#),
            (Source::Kinesis, r#"{"$or": [{"a": ["1"]}, {"data": [{"prefix": "x"}]}]}"#),
            (Source::DynamoDb, r#"{"dynamodb": [{"exists": true}]}"#),
        ] {
            let e = Filter::new(&criteria(&[p]), source).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::PlainDataPattern, "{p}");
        }
        assert!(Filter::new(&criteria(&[r#"{"body": ["x"]}"#]), Source::Sqs).is_ok());
        assert!(Filter::new(&criteria(&[r#"{"value": ["x"]}"#]), Source::Kafka).is_ok());
    }

    #[test]
    fn lambda_dialect_is_the_default() {
        let e = Filter::new(&criteria(&[r#"{"body": {"file": [{"wildcard": "*.png"}]}}"#]), Source::Sqs).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OperatorNotInDialect);
        assert_eq!(e.reason(), "wildcard is not supported in the LambdaEsm dialect");
    }

    /// SPEC §10 FLAG-4, amended 2026-12-06: AWS accepts and applies `cidr` on SQS and MQ mappings
    /// (the SAM sample below).
    #[test]
    fn cidr_is_in_the_lambda_dialect() {
        let f = Filter::new(&criteria(&[r#"{"body": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}"#]), Source::Sqs)
            .unwrap();
        assert!(f.matches(r#"{"messageId": "1", "body": "{\"sourceIPAddress\": \"10.0.0.11\"}"}"#).unwrap());
        assert!(!f.matches(r#"{"messageId": "2", "body": "{\"sourceIPAddress\": \"10.0.1.11\"}"}"#).unwrap());
    }

    #[test]
    fn mismatch_policies() {
        let json_pattern = r#"{"value": {"a": [1]}, "topic": ["t"]}"#;
        let plain = r#"{"topic": "t", "value": "aGVsbG8="}"#; // "hello"
        let json = r#"{"topic": "t", "value": "eyJhIjoxfQ=="}"#; // {"a":1}
        let binary = r#"{"topic": "t", "value": "//79"}"#;
        let drop = Filter::new(&criteria(&[json_pattern]), Source::Kafka).unwrap();
        let ignore = Filter::builder(Source::Kafka)
            .mismatch(Mismatch::IgnoreDataConditions)
            .build(&criteria(&[json_pattern]))
            .unwrap();
        assert!(drop.matches(json).unwrap() && ignore.matches(json).unwrap());
        assert!(!drop.matches(plain).unwrap() && ignore.matches(plain).unwrap());
        assert!(!drop.matches(binary).unwrap() && ignore.matches(binary).unwrap());
        // exists:false inside a non-JSON payload does not match either.
        let absent = Filter::new(&criteria(&[r#"{"value": {"a": [{"exists": false}]}}"#]), Source::Kafka).unwrap();
        assert!(!absent.matches(plain).unwrap());
        assert!(absent.matches(r#"{"value": "eyJiIjoxfQ=="}"#).unwrap());
        // A plain pattern against a JSON payload.
        let text = Filter::new(&criteria(&[r#"{"value": [{"anything-but": ["error"]}]}"#]), Source::Kafka).unwrap();
        assert!(text.matches(plain).unwrap());
        assert!(!text.matches(json).unwrap());
    }

    #[test]
    fn no_filters_keeps_everything() {
        let f = Filter::new("{}", Source::Sqs).unwrap();
        assert!(f.matches(r#"{"body": "x"}"#).unwrap());
        assert_eq!(f.matches("[1]").unwrap_err().kind(), ErrorKind::InvalidRecord);
    }

    /// `evaluate_decoded` with the bytes the record's base64 stands for decides exactly as
    /// `evaluate` (and `decide_with` with `first` as `matches`): JSON, plain, blank, non-UTF-8
    /// and empty payloads; Kinesis records nested (as Lambda delivers them) and flat; Kafka `value`
    /// and MQ `data`; data conditions, metadata-only criteria, both mismatch policies.
    #[test]
    fn evaluate_decoded_decides_as_evaluate() {
        use crate::lambda::view::encode_base64;
        let payloads: [&[u8]; 9] = [
            br#"{"order": {"type": "buy"}, "qty": 45, "device": "sensor-7"}"#,
            br#"{"order": {"type": "sell"}, "qty": 5, "device": "sensor-12"}"#,
            br#"{"device": "sensor-1\u0041", "note": "caf\u00e9 \"q\""}"#,
            b"plain text 9",
            b"  \n",
            b"42",
            b"",
            &[0xff, 0xfe, 0x00],
            "caf\u{e9} {not json".as_bytes(),
        ];
        let kinesis_sets: [&[&str]; 3] = [
            &[
                r#"{"data": {"order": {"type": ["buy"]}, "qty": [{"numeric": [">", 40]}]}}"#,
                r#"{"data": {"device": [{"prefix": "sensor-1"}]}}"#,
                r#"{"partitionKey": ["hot"]}"#,
            ],
            &[r#"{"partitionKey": [{"prefix": "p"}]}"#],
            &[r#"{"data": {"note": [{"exists": false}]}, "partitionKey": ["pk"]}"#],
        ];
        let check = |filter: &Filter, record: &str, data: &[u8]| {
            let mut scratch = Scratch::default();
            let plain = filter.evaluate(record, &mut scratch).unwrap();
            let decoded = filter.evaluate_decoded(record, data, &mut scratch).unwrap();
            assert_eq!(decoded, plain, "{record} {:?}", String::from_utf8_lossy(data));
            let first = filter.decide_with(record, Some(data), &mut scratch, true).unwrap();
            assert_eq!((first.keep, first.payload), (filter.matches(record).unwrap(), plain.payload), "{record}");
            plain
        };
        for set in kinesis_sets {
            for policy in [Mismatch::Drop, Mismatch::IgnoreDataConditions] {
                let filter = Filter::builder(Source::Kinesis).mismatch(policy).build(&criteria(set)).unwrap();
                for data in payloads {
                    let b64 = encode_base64(data);
                    let nested = format!(
                        r#"{{"kinesis":{{"kinesisSchemaVersion":"1.0","partitionKey":"pk","sequenceNumber":"1","data":"{b64}","approximateArrivalTimestamp":1.5}},"eventSource":"aws:kinesis","eventID":"shardId-1:1"}}"#
                    );
                    let flat = format!(r#"{{"partitionKey": "pk", "data": "{b64}", "eventID": "x"}}"#);
                    check(&filter, &nested, data);
                    check(&filter, &flat, data);
                }
            }
        }
        for (source, key) in [(Source::Kafka, "value"), (Source::Mq, "data")] {
            let pattern = format!(r#"{{"{key}": {{"order": {{"type": ["buy"]}}}}}}"#);
            let filter = Filter::new(&criteria(&[&pattern]), source).unwrap();
            for data in payloads {
                check(&filter, &format!(r#"{{"topic": "t", "{key}": "{}"}}"#, encode_base64(data)), data);
            }
        }
        // The kinds, spelled out: JSON is matched, plain text and bytes that are not UTF-8 are not.
        let mut scratch = Scratch::default();
        let filter = Filter::new(&criteria(&kinesis_sets[0][..2]), Source::Kinesis).unwrap();
        let record = |data: &[u8]| format!(r#"{{"kinesis":{{"partitionKey":"pk","data":"{}"}}}}"#, encode_base64(data));
        let v = filter.evaluate_decoded(&record(payloads[0]), payloads[0], &mut scratch).unwrap();
        assert_eq!((v.keep, v.payload, v.filters), (true, Payload::Json, 0b01));
        let v = filter.evaluate_decoded(&record(payloads[2]), payloads[2], &mut scratch).unwrap();
        assert_eq!((v.keep, v.payload, v.filters), (true, Payload::Json, 0b10), "sensor-1A, unescaped");
        let v = filter.evaluate_decoded(&record(b"plain text 9"), b"plain text 9", &mut scratch).unwrap();
        assert_eq!((v.keep, v.payload), (false, Payload::Plain));
        let v = filter.evaluate_decoded(&record(&[0xff, 0xfe]), &[0xff, 0xfe], &mut scratch).unwrap();
        assert_eq!((v.keep, v.payload), (false, Payload::Undecodable));
        // A null data property (or none) is seen as it is: the bytes are not used.
        let v = filter.evaluate_decoded(r#"{"kinesis":{"data":null}}"#, payloads[0], &mut scratch).unwrap();
        assert_eq!((v.keep, v.payload), (false, Payload::AsIs));
        let v = filter.evaluate_decoded(r#"{"kinesis":{"partitionKey":"hot"}}"#, payloads[0], &mut scratch).unwrap();
        assert_eq!((v.keep, v.payload), (false, Payload::AsIs));
        // The bytes are what is decided on (the caller vouches that they are the base64's).
        let v = filter.evaluate_decoded(&record(b"plain text 9"), payloads[0], &mut scratch).unwrap();
        assert_eq!((v.keep, v.payload), (true, Payload::Json));
        // Sources without a base64 data property do not use them.
        let ddb = Filter::new(&criteria(&[r#"{"eventName": ["INSERT"]}"#]), Source::DynamoDb).unwrap();
        let sqs = Filter::new(&criteria(&[r#"{"body": {"a": [1]}}"#]), Source::Sqs).unwrap();
        for (filter, record) in [(&ddb, r#"{"eventName": "INSERT"}"#), (&sqs, r#"{"body": "{\"a\": 1}"}"#)] {
            let v = check(filter, record, b"{\"a\": 2, \"eventName\": \"REMOVE\"}");
            assert!(v.keep, "{record}");
        }
        // Malformed records are errors either way.
        let e = filter.evaluate_decoded(r#"{"kinesis": {"data": "eyJ9"#, b"{}", &mut scratch).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRecord);
    }

    #[test]
    fn evaluate_reports_each_filter() {
        let f = Filter::new(
            &criteria(&[r#"{"a": [1]}"#, r#"{"b": [2]}"#, r#"{"a": [{"numeric": [">", 0]}]}"#]),
            Source::Raw,
        )
        .unwrap();
        let mut s = Scratch::default();
        let v = f.evaluate(r#"{"a": 1, "b": 3}"#, &mut s).unwrap();
        assert_eq!(v, Verdict { keep: true, payload: Payload::AsIs, filters: 0b101 });
    }
}
