//! Filter views (SPEC §4.4, §6): the record as a filter sees it. DynamoDB records are seen as
//! they are; SQS `body` is parsed when it is JSON; Kinesis `data`, Kafka `value` and MQ `data` are
//! base64-decoded (as UTF-8) and parsed when they are JSON; Kinesis records are flattened (the
//! fields of `kinesis` moved to the top level). The view is built only when a filter addresses the
//! data property, into a reused buffer; otherwise the record's own bytes are matched.

use std::ops::Range;

use base64::Engine as _;

use super::scan::{MemberRef, Scanner};
use super::Source;
use crate::error::{Error, ErrorKind};
use crate::event::reader;

/// What a record's data property turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Payload {
    /// Not decoded: no filter addresses it, the source has no encoded data property (DynamoDB,
    /// raw records), or the record has none (absent or `null`, a Kafka tombstone say).
    #[default]
    AsIs,
    /// Valid JSON: its fields can be filtered.
    Json,
    /// A plain string (decoded, valid UTF-8, not JSON).
    Plain,
    /// Not decodable: not base64, or not UTF-8 once decoded. Only metadata can be filtered.
    Undecodable,
}

impl Payload {
    pub(crate) fn index(self) -> usize {
        match self {
            Payload::AsIs => 0,
            Payload::Json => 1,
            Payload::Plain => 2,
            Payload::Undecodable => 3,
        }
    }
}

/// Reusable buffers for building views.
#[derive(Default, Debug)]
pub(crate) struct ViewScratch {
    /// The view, when it differs from the record.
    pub view: String,
    /// Unescaped string token.
    text: String,
    /// Decoded base64.
    bytes: Vec<u8>,
    /// The ranges (key to end of value) of a record's top-level members.
    members: Vec<Range<usize>>,
}

/// Builds the view of `record` for `source`. Returns the payload kind and whether the view is in
/// `scratch.view` (otherwise the record itself is the view). `decode`: does any filter address
/// the data property?
pub(crate) fn build(
    source: Source,
    record: &str,
    decode: bool,
    max_depth: usize,
    scratch: &mut ViewScratch,
) -> Result<(Payload, bool), Error> {
    build_with(source, record, None, decode, max_depth, scratch)
}

/// [`build`] with the base64 data property (Kinesis `data`, Kafka `value`, MQ `data`) already
/// decoded by the caller: `data` is used in place of decoding the record's base64 token, which it
/// must be the decoding of. Unused for other sources, and when the record has no such string.
pub(crate) fn build_with(
    source: Source,
    record: &str,
    data: Option<&[u8]>,
    decode: bool,
    max_depth: usize,
    scratch: &mut ViewScratch,
) -> Result<(Payload, bool), Error> {
    match source {
        Source::DynamoDb | Source::Raw => Ok((Payload::AsIs, false)),
        Source::Sqs if decode => splice(record, "body", Encoding::JsonString, None, max_depth, scratch),
        Source::Kafka if decode => splice(record, "value", Encoding::Base64, data, max_depth, scratch),
        Source::Mq if decode => splice(record, "data", Encoding::Base64, data, max_depth, scratch),
        Source::Kinesis => kinesis(record, data, decode, max_depth, scratch),
        _ => Ok((Payload::AsIs, false)),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    /// A string holding the payload text (SQS `body`).
    JsonString,
    /// A string holding base64 of the payload bytes.
    Base64,
}

fn record_error(record: &str, at: usize, reason: impl Into<String>) -> Error {
    Scanner::new(record, 0, ErrorKind::InvalidRecord).error(at, reason)
}

/// Replaces the top-level member `key` of `record` by its decoded payload (`data`: already
/// decoded, see [`build_with`]).
fn splice(
    record: &str,
    key: &str,
    encoding: Encoding,
    data: Option<&[u8]>,
    max_depth: usize,
    scratch: &mut ViewScratch,
) -> Result<(Payload, bool), Error> {
    let mut s = Scanner::new(record, 0, ErrorKind::InvalidRecord);
    s.start();
    let mut found: Option<Range<usize>> = None;
    s.members(|m| {
        if m.is(record, key) {
            found = Some(m.value.clone());
        }
        true
    })?;
    let Some(range) = found else { return Ok((Payload::AsIs, false)) };
    scratch.view.clear();
    scratch.view.push_str(&record[..range.start]);
    let payload = decode_into(record, range.clone(), encoding, data, max_depth, scratch)?;
    if payload != Payload::Json && payload != Payload::Plain {
        return Ok((payload, false));
    }
    if payload == Payload::Plain && encoding == Encoding::JsonString {
        // The record already holds the plain string.
        return Ok((payload, false));
    }
    scratch.view.push_str(&record[range.end..]);
    Ok((payload, true))
}

/// Decodes the payload token at `range` of `record` and appends its view form to `scratch.view`
/// (the JSON text, or the plain text as a string token). Appends nothing for `AsIs` and
/// `Undecodable`. `data`: the base64 token's bytes, already decoded by the caller (the token is
/// then neither unescaped nor decoded).
fn decode_into(
    record: &str,
    range: Range<usize>,
    encoding: Encoding,
    data: Option<&[u8]>,
    max_depth: usize,
    scratch: &mut ViewScratch,
) -> Result<Payload, Error> {
    let token = &record[range.clone()];
    if !token.starts_with('"') {
        // `null` (a tombstone) or another non-string value: seen as it is.
        return Ok(Payload::AsIs);
    }
    let text: &str = if let (Encoding::Base64, Some(bytes)) = (encoding, data) {
        match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => return Ok(Payload::Undecodable),
        }
    } else {
        scratch.text.clear();
        if crate::lex::unescape_into(token, &mut scratch.text).is_none() {
            return Err(record_error(record, range.start, "invalid JSON string"));
        }
        match encoding {
            Encoding::JsonString => &scratch.text,
            Encoding::Base64 => {
                scratch.bytes.clear();
                if !decode_base64(scratch.text.as_bytes(), &mut scratch.bytes) {
                    return Ok(Payload::Undecodable);
                }
                match std::str::from_utf8(&scratch.bytes) {
                    Ok(t) => t,
                    Err(_) => return Ok(Payload::Undecodable),
                }
            }
        }
    };
    if is_json(text, max_depth) {
        scratch.view.push_str(text);
        Ok(Payload::Json)
    } else {
        crate::lex::push_string_token(&mut scratch.view, text);
        Ok(Payload::Plain)
    }
}

/// Is `text` one JSON value (not blank)?
fn is_json(text: &str, max_depth: usize) -> bool {
    let first = text.trim_start_matches([' ', '\t', '\n', '\r']);
    !first.is_empty() && reader::validate(text, max_depth).is_ok()
}

/// The Kinesis view: the envelope fields and the fields of `kinesis` side by side at the top level,
/// `data` decoded when `decode`. A record without a `kinesis` object is taken as already flat.
fn kinesis(
    record: &str,
    data: Option<&[u8]>,
    decode: bool,
    max_depth: usize,
    scratch: &mut ViewScratch,
) -> Result<(Payload, bool), Error> {
    let mut s = Scanner::new(record, 0, ErrorKind::InvalidRecord);
    s.start();
    let mut found: Option<MemberRef> = None;
    // The top-level members are scanned once: their ranges are kept for building the view.
    let members = &mut scratch.members;
    members.clear();
    s.members(|m| {
        if m.is(record, "kinesis") && record.as_bytes()[m.value.start] == b'{' {
            found = Some(m.clone());
        }
        members.push(m.key.start..m.value.end);
        true
    })?;
    let Some(inner) = found else {
        // Already flat (or not a Lambda record): decode a top-level `data`.
        return if decode {
            splice(record, "data", Encoding::Base64, data, max_depth, scratch)
        } else {
            Ok((Payload::AsIs, false))
        };
    };
    let view = &mut scratch.view;
    view.clear();
    view.push('{');
    let mut first = true;
    for member in &scratch.members {
        if member.start != inner.key.start {
            push_member(view, &mut first, &record[member.clone()]);
        }
    }
    let mut encoded: Option<MemberRef> = None;
    let mut s = Scanner::new(record, inner.value.start, ErrorKind::InvalidRecord);
    s.members(|m| {
        if decode && m.is(record, "data") {
            encoded = Some(m.clone());
            return true;
        }
        push_member(view, &mut first, &record[m.key.start..m.value.end]);
        true
    })?;
    let mut payload = Payload::AsIs;
    if let Some(d) = encoded {
        if !first {
            scratch.view.push(',');
        }
        scratch.view.push_str(&record[d.key.start..d.value.start]);
        let mark = scratch.view.len();
        payload = decode_into(record, d.value.clone(), Encoding::Base64, data, max_depth, scratch)?;
        if scratch.view.len() == mark {
            // Not decoded: keep the original token.
            scratch.view.push_str(&record[d.value.clone()]);
        }
    }
    scratch.view.push('}');
    Ok((payload, true))
}

/// Appends one `"key": value` member to an object being built, after a comma unless it is the first.
fn push_member(view: &mut String, first: &mut bool, member: &str) {
    if !*first {
        view.push(',');
    }
    *first = false;
    view.push_str(member);
}

/// Standard base64 (RFC 4648 §4) as Lambda reads it: padding optional, but when present the text
/// is a whole number of 4-character groups; unused trailing bits must be zero; no whitespace.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(false),
);

/// Encodes `bytes` as standard base64 with padding (the form Lambda delivers payloads in).
#[cfg(any(feature = "proptest", feature = "aws_lambda_events", test))]
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// Decodes standard base64 (RFC 4648 §4; padding optional, no whitespace) into `out`.
pub(crate) fn decode_base64(input: &[u8], out: &mut Vec<u8>) -> bool {
    // The crate's `Indifferent` mode also takes padding that does not complete a group (`Zg=`).
    if input.last() == Some(&b'=') && !input.len().is_multiple_of(4) {
        return false;
    }
    BASE64.decode_vec(input, out).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        decode_base64(s.as_bytes(), &mut out).then_some(out)
    }

    #[test]
    fn base64_decodes_padded_and_unpadded() {
        assert_eq!(b64("").unwrap(), b"");
        assert_eq!(b64("Zg==").unwrap(), b"f");
        assert_eq!(b64("Zm8=").unwrap(), b"fo");
        assert_eq!(b64("Zm9v").unwrap(), b"foo");
        assert_eq!(b64("Zm9vYg").unwrap(), b"foob");
        assert_eq!(b64("eyJhIjoxfQ==").unwrap(), br#"{"a":1}"#);
        assert_eq!(b64("+/+/").unwrap(), [0xfb, 0xff, 0xbf]);
    }

    #[test]
    fn base64_round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "{\"a\":1}"] {
            assert_eq!(b64(&encode_base64(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert_eq!(encode_base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn base64_rejects_bad_input() {
        for bad in [
            "Z", "Zg=", "Zm9v=", "Zm 9v", "Zm9v!", "Zh==", "=", "Zg==Zg==", "Zg===", "Zm9=", "Zm9v\n", "Zm9v\r\n",
            " Zm9v", "Zm-v", "Zm_v", "====", "==", "Zm9vYg=", "Zm9vY===",
        ] {
            assert!(b64(bad).is_none(), "{bad}");
        }
    }

    fn view(source: Source, record: &str) -> (Payload, String) {
        let mut s = ViewScratch::default();
        let (p, own) = build(source, record, true, 128, &mut s).unwrap();
        (p, if own { s.view } else { record.to_string() })
    }

    #[test]
    fn sqs_body_is_parsed_when_json() {
        let (p, v) = view(Source::Sqs, r#"{"messageId":"1","body":"{\"a\": [1, \"x\"]}","x":1}"#);
        assert_eq!(p, Payload::Json);
        assert_eq!(v, r#"{"messageId":"1","body":{"a": [1, "x"]},"x":1}"#);
        let (p, v) = view(Source::Sqs, r#"{"body":"hello {"}"#);
        assert_eq!((p, v.as_str()), (Payload::Plain, r#"{"body":"hello {"}"#));
        let (p, _) = view(Source::Sqs, r#"{"body":"   "}"#);
        assert_eq!(p, Payload::Plain);
        let (p, _) = view(Source::Sqs, r#"{"messageId":"1"}"#);
        assert_eq!(p, Payload::AsIs);
    }

    #[test]
    fn kafka_value_is_decoded() {
        let (p, v) = view(Source::Kafka, r#"{"topic":"t","value":"eyJhIjoxfQ=="}"#);
        assert_eq!((p, v.as_str()), (Payload::Json, r#"{"topic":"t","value":{"a":1}}"#));
        let (p, v) = view(Source::Kafka, r#"{"value":"aGkgIiB0aGVyZQ=="}"#);
        assert_eq!((p, v.as_str()), (Payload::Plain, r#"{"value":"hi \" there"}"#));
        let (p, _) = view(Source::Kafka, r#"{"value":"//79"}"#);
        assert_eq!(p, Payload::Undecodable);
        let (p, _) = view(Source::Kafka, r#"{"value":"not base64!"}"#);
        assert_eq!(p, Payload::Undecodable);
        let (p, _) = view(Source::Kafka, r#"{"value":null}"#);
        assert_eq!(p, Payload::AsIs);
    }

    #[test]
    fn kinesis_is_flattened() {
        let record = r#"{"kinesis": {"partitionKey": "pk", "data": "eyJhIjoxfQ==", "sequenceNumber": "9"}, "eventSource": "aws:kinesis"}"#;
        let (p, v) = view(Source::Kinesis, record);
        assert_eq!(p, Payload::Json);
        assert_eq!(v, r#"{"eventSource": "aws:kinesis","partitionKey": "pk","sequenceNumber": "9","data": {"a":1}}"#);
        let mut s = ViewScratch::default();
        let (p, own) = build(Source::Kinesis, record, false, 128, &mut s).unwrap();
        assert_eq!((p, own), (Payload::AsIs, true));
        assert_eq!(
            s.view,
            r#"{"eventSource": "aws:kinesis","partitionKey": "pk","data": "eyJhIjoxfQ==","sequenceNumber": "9"}"#
        );
    }

    #[test]
    fn malformed_records_are_errors() {
        let mut s = ViewScratch::default();
        for bad in [r#"{"body": "x"#, r#"["body"]"#, r#"{"body" "x"}"#, ""] {
            let e = build(Source::Sqs, bad, true, 128, &mut s).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidRecord, "{bad}");
        }
    }
}
