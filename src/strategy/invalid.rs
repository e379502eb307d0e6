//! Invalid pattern text, each with the [`ErrorKind`] the parser must report.
//!
//! Most cases put one bad member into an otherwise valid pattern of the dialect (at the top, one
//! level down, or inside an `$or` branch); since the rest is valid, the bad member is the first
//! problem in document order. The others break the whole text: invalid JSON, a top level that is
//! not an object, too deep, too long, too many `$or` combinations.

use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::strategy::Union;

use super::json::quote;
use super::pattern::{decimal, exact_number, key, leaf, object, PMember, PObject, PValue};
use crate::error::ErrorKind;
use crate::syntax::dialect::{Dialect, Operator};
use crate::syntax::pattern::RESERVED_IN_OR;

type Case = (String, ErrorKind);

fn strs(values: &[&'static str]) -> BoxedStrategy<String> {
    select(values.to_vec()).prop_map(String::from).boxed()
}

/// `kind` when the dialect supports `op`, else `OperatorNotInDialect` (the dialect is checked
/// before the argument).
fn unless_missing(d: Dialect, op: Operator, kind: ErrorKind) -> ErrorKind {
    if d.supports(op) {
        kind
    } else {
        ErrorKind::OperatorNotInDialect
    }
}

/// A bad operator object inside a leaf array, with its kind.
fn bad_condition(d: Dialect) -> BoxedStrategy<Case> {
    use ErrorKind::*;
    let op = |name: &'static str, args: BoxedStrategy<String>, kind: ErrorKind| {
        args.prop_map(move |a| (format!(r#"{{"{name}": {a}}}"#), kind)).boxed()
    };
    let not_string = || strs(&["1", "null", "true", "[\"a\"]", "{}", "[]"]);
    let ab = |args: BoxedStrategy<String>, kind: ErrorKind| op("anything-but", args, kind);
    let ab_inner = |inner: &'static str, o: Operator, args: BoxedStrategy<String>| {
        let kind = unless_missing(d, o, InvalidAnythingBut);
        args.prop_map(move |a| (format!(r#"{{"anything-but": {{"{inner}": {a}}}}}"#), kind)).boxed()
    };
    let mut options: Vec<BoxedStrategy<Case>> = vec![
        Just(("{}".to_string(), MissingOperator)).boxed(),
        strs(&["[\"x\"]", "[]", "[1, [2]]"]).prop_map(|a| (a, InvalidMatchValue)).boxed(),
        (
            strs(&[r#""prefix": "a""#, r#""numeric": [">", 1]"#, r#""exists": true"#, r#""anything-but": "x""#]),
            strs(&[r#""suffix": "b""#, r#""x": 1"#, r#""prefix": "a""#]),
        )
            .prop_map(|(first, second)| (format!("{{{first}, {second}}}"), MultipleOperators))
            .boxed(),
        (strs(&["NUMERIC", "exactly", "regex", "Prefix", "$or", "anything_but", "contains", "not"]), exact_number())
            .prop_map(|(name, arg)| (format!(r#"{{"{name}": {arg}}}"#), UnknownOperator))
            .boxed(),
        op("prefix", not_string(), InvalidPrefix),
        op("suffix", not_string(), InvalidSuffix),
        op("prefix", strs(&[r#"{"exactly": "a"}"#, r#"{"suffix": "a"}"#]), InvalidPrefix),
        op("suffix", strs(&[r#"{"exactly": "a"}"#, r#"{"prefix": "a"}"#]), InvalidSuffix),
        op(
            "prefix",
            strs(&[r#"{"equals-ignore-case": 1}"#]),
            unless_missing(d, Operator::PrefixIgnoreCase, InvalidPrefix),
        ),
        op(
            "suffix",
            strs(&[r#"{"equals-ignore-case": [1]}"#]),
            unless_missing(d, Operator::SuffixIgnoreCase, InvalidSuffix),
        ),
        op("equals-ignore-case", not_string(), InvalidEqualsIgnoreCase),
        op("exists", strs(&["\"true\"", "1", "null", "[true]", "{}", "\"false\"", "0"]), InvalidExists),
        ab(strs(&["null", "true", "false", "{}"]), InvalidAnythingBut),
        ab(strs(&[r#"["a", null]"#, "[1, true]", r#"[{}]"#, "[[1]]", r#"["a", ["b"]]"#]), InvalidAnythingBut),
        ab(strs(&[r#"["a", 1]"#, r#"[1, "a"]"#, "[]"]), InvalidAnythingBut),
        ab(strs(&["123456789012345678", "[1, 9007199254740993]", "1e400"]), InvalidAnythingBut),
        ab(
            strs(&[r#"{"numeric": [">", 1]}"#, r#"{"exists": false}"#, r#"{"cidr": "10.0.0.0/8"}"#, r#"{"x": 1}"#]),
            InvalidAnythingBut,
        ),
        ab_inner(
            "prefix",
            Operator::AnythingButPrefix,
            strs(&["\"\"", "1", "[\"a\", \"\"]", "[]", "[1]", "{\"equals-ignore-case\": \"a\"}"]),
        ),
        ab_inner("suffix", Operator::AnythingButSuffix, strs(&["\"\"", "null", "[\"\"]", "{}"])),
        ab_inner("equals-ignore-case", Operator::AnythingButEqualsIgnoreCase, strs(&["1", "[null]", "[]", "true"])),
        ab_inner(
            "wildcard",
            Operator::AnythingButWildcard,
            strs(&["1", "[\"a\", 2]", "\"a**\"", "\"a\\\\b\"", "[\"x\\\\\"]"]),
        ),
        op("numeric", numeric_error(), InvalidNumeric),
    ];
    let cidr_kind = unless_missing(d, Operator::Cidr, InvalidCidr);
    options.push(op("cidr", cidr_error(), cidr_kind));
    let wildcard_kind = unless_missing(d, Operator::Wildcard, InvalidWildcard);
    options.push(op("wildcard", wildcard_error(), wildcard_kind));
    if !d.supports(Operator::Wildcard) {
        options.push(op("wildcard", strs(&["\"a*\"", "\"*\""]), ErrorKind::OperatorNotInDialect));
    }
    if !d.supports(Operator::Cidr) {
        options.push(op("cidr", strs(&["\"10.0.0.0/8\""]), ErrorKind::OperatorNotInDialect));
    }
    if !d.supports(Operator::AnythingButPrefix) {
        options.push(ab(
            strs(&[r#"{"prefix": "a"}"#, r#"{"suffix": ["a"]}"#, r#"{"wildcard": "a*"}"#]),
            ErrorKind::OperatorNotInDialect,
        ));
    }
    if !d.supports(Operator::PrefixIgnoreCase) {
        options.push(op("prefix", strs(&[r#"{"equals-ignore-case": "a"}"#]), ErrorKind::OperatorNotInDialect));
    }
    Union::new(options).boxed()
}

fn numeric_error() -> BoxedStrategy<String> {
    let fixed = strs(&[
        "\"5\"",
        "5",
        "{}",
        "null",
        "[]",
        "[1, 2]",
        "[\"==\", 1]",
        "[\"=\", \"x\"]",
        "[\"=\", 1, 2]",
        "[\"<\", 1, \">\", 0]",
        "[\">\", 1, \">\", 2]",
        "[\">\", 1, \"<\"]",
        "[\">\"]",
        "[\">\", 1, \"<\", 2, 3]",
        "[\">\", 1, 5]",
        "[\"=\", 123456789012345678]",
        "[\"<\", 1e400]",
        "[\"=\", null]",
    ]);
    let bottom = (select(vec![">", ">="]), -2000i64..2000, 0u32..3, 0i64..100, select(vec!["<", "<="])).prop_map(
        |(low_op, m, scale, down, high_op)| {
            format!(r#"["{low_op}", {}, "{high_op}", {}]"#, decimal(m, scale), decimal(m - down, scale))
        },
    );
    prop_oneof![3 => fixed, 1 => bottom].boxed()
}

fn cidr_error() -> BoxedStrategy<String> {
    let fixed = strs(&["1", "null", "[\"10.0.0.0/8\"]", "{}"]);
    let texts = (any::<[u8; 4]>(), 0u8..9).prop_map(|(a, how)| {
        let ip = format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
        let bad = match how {
            0 => ip,
            1 => format!("{ip}/8/8"),
            2 => format!("{ip}/x"),
            3 => format!("{ip}/-1"),
            4 => format!("{}.{}.{}.256/8", a[0], a[1], a[2]),
            5 => format!("{}.{}.{}/8", a[0], a[1], a[2]),
            6 => format!("{ip}/33"),
            7 => "::/129".to_string(),
            _ => "1::2::3/64".to_string(),
        };
        quote(&bad)
    });
    prop_oneof![1 => fixed, 3 => texts].boxed()
}

fn wildcard_error() -> BoxedStrategy<String> {
    let fixed = strs(&["1", "null", "[\"a*\"]", "{}"]);
    let texts = ("[a-c]{0,2}", "[a-c]{0,2}", 0u8..3).prop_map(|(a, b, how)| {
        let bad = match how {
            0 => format!("{a}**{b}"),
            1 => format!("{a}\\{}", if b.is_empty() { "x".to_string() } else { b }),
            _ => format!("{a}*{b}\\"),
        };
        quote(&bad)
    });
    prop_oneof![1 => fixed, 3 => texts].boxed()
}

/// A bad member (key and rendered value, or a whole `$or` member) with its kind.
fn bad_member(d: Dialect) -> BoxedStrategy<(PMember, ErrorKind)> {
    use ErrorKind::*;
    let field = |values: BoxedStrategy<String>, kind: ErrorKind| {
        (key(), values).prop_map(move |(k, v)| (PMember::Field(k, PValue::Raw(v)), kind)).boxed()
    };
    let in_leaf = (key(), leaf(d), bad_condition(d), any::<Index>())
        .prop_map(|(k, mut conds, (bad, kind), at)| {
            let mut items: Vec<String> = conds.drain(..).map(|c| c.text).collect();
            items.insert(at.index(items.len() + 1), bad);
            (PMember::Field(k, PValue::Raw(format!("[{}]", items.join(", ")))), kind)
        })
        .boxed();
    let or_value = |values: BoxedStrategy<String>, kind: ErrorKind| {
        values.prop_map(move |v| (PMember::Field("$or".into(), PValue::Raw(v)), kind)).boxed()
    };
    let reserved = (select(RESERVED_IN_OR.to_vec()), any::<bool>(), key()).prop_map(|(name, deep, k)| {
        let bad = if deep { format!(r#"{{"{k}": {{"{name}": ["x"]}}}}"#) } else { format!(r#"{{"{name}": ["x"]}}"#) };
        (PMember::Field("$or".into(), PValue::Raw(format!(r#"[{bad}, {{"a": ["y"]}}]"#))), ReservedFieldName)
    });
    let too_many_or = (5usize..=12, 5usize..=12).prop_map(|(a, b)| {
        let c = 1000 / (a * b) + 1;
        let or = |n: usize| {
            let branches: Vec<String> = (0..n).map(|i| format!(r#"{{"v": ["{i}"]}}"#)).collect();
            format!(r#"{{"$or": [{}]}}"#, branches.join(", "))
        };
        let value = format!(r#"{{"o1": {}, "o2": {}, "o3": {}}}"#, or(a), or(b), or(c));
        (PMember::Field("many".into(), PValue::Raw(value)), TooManyOrBranches)
    });
    let mut options = vec![
        (6, in_leaf),
        (1, field(strs(&["{}"]), EmptyObject)),
        (1, field(strs(&["[]"]), EmptyArray)),
        (1, field(strs(&["\"x\"", "1", "null", "true", "false", "\"\""]), InvalidFieldValue)),
        (
            1,
            or_value(
                strs(&[
                    r#"{"a": ["x"]}"#,
                    "\"x\"",
                    "1",
                    "null",
                    "[]",
                    r#"[{"a": ["x"]}]"#,
                    r#"[{"a": ["x"]}, 1]"#,
                    r#"[["x"], {"a": ["x"]}]"#,
                ]),
                InvalidOr,
            ),
        ),
        (1, or_value(strs(&[r#"[{"a": ["x"]}, {}]"#, r#"[{}]"#]), EmptyObject)),
        (1, reserved.boxed()),
        (1, too_many_or.boxed()),
    ];
    if d.supports(Operator::Wildcard) {
        let complex = (select(vec![":", "/", "-", "ab"]), 6usize..=8).prop_map(|(sep, stars)| {
            let w = format!("{}event-bus/*", format!("*{sep}").repeat(stars - 1));
            (
                PMember::Field("arn".into(), PValue::Raw(format!(r#"[{{"wildcard": {}}}]"#, quote(&w)))),
                WildcardTooComplex,
            )
        });
        options.push((1, complex.boxed()));
    }
    Union::new_weighted(options).boxed()
}

/// Puts `bad` into `host`: at the top (`place` 0), one level down (1) or in an `$or` branch (2).
fn place(mut host: PObject, bad: PMember, place: u8, at: Index, k: String) -> PObject {
    let member = match place {
        0 => bad,
        1 => PMember::Field(k, PValue::Object(PObject { members: vec![bad] })),
        _ => {
            let valid = PObject { members: vec![PMember::Field("v".into(), PValue::Raw("[\"ok\"]".into()))] };
            PMember::Or(vec![PObject { members: vec![bad] }, valid])
        }
    };
    host.members.insert(at.index(host.members.len() + 1), member);
    host
}

/// Invalid patterns of the dialect with the kind of error each must give.
pub(super) fn invalid(d: Dialect) -> BoxedStrategy<Case> {
    use ErrorKind::*;
    let host = || object(d, 1, 2);
    let limit = d.default_max_length();
    let members = (host(), bad_member(d), 0u8..3, any::<Index>(), key())
        .prop_map(|(host, (bad, kind), where_, at, k)| (place(host, bad, where_, at, k).render(), kind))
        .prop_filter("within the length limit", move |(text, _)| text.chars().count() <= limit);
    let json = (host(), 0u8..4)
        .prop_map(|(host, how)| {
            let text = host.render();
            let bad = match how {
                0 => format!("{text} x"),
                1 => text[..text.len() - 1].to_string(),
                2 => format!("{},}}", &text[..text.len() - 1]),
                _ => text.replacen('[', "[,", 1),
            };
            (bad, Json)
        })
        .boxed();
    let json_fixed = strs(&[
        "{'a': [\"x\"]}",
        "{\"a\": [True]}",
        "{\"a\": [01]}",
        "{\"a\" [\"x\"]}",
        "{\"a\": [\"x]}",
        "{\"a\": [\"\\ud800\"]}",
        "{\"a\": [\"tab\there\"]}",
        "{\"a\": [1.]}",
        "{\"a\": [-]}",
        "{\"a\": [+1]}",
        "",
        "{\"a\": [\"\\x\"]}",
    ])
    .prop_map(|t| (t, Json));
    let not_object = strs(&["[\"x\"]", "\"x\"", "1", "null", "true", "[]", "[{\"a\": [1]}]", " \"source\"\n"])
        .prop_map(|t| (t, NotAnObject));
    let empty = strs(&["{}", " { } "]).prop_map(|t| (t, EmptyObject));
    let deep = (64usize..=70, any::<bool>()).prop_map(|(n, arrays)| {
        let text = if arrays {
            // The top object, then n arrays: n + 1 levels.
            format!("{{\"a\": {}{}}}", "[".repeat(n), "]".repeat(n))
        } else {
            // n objects and the leaf array: n + 1 levels.
            format!("{}[\"x\"]{}", "{\"a\": ".repeat(n), "}".repeat(n))
        };
        (text, NestingTooDeep)
    });
    let long = (1usize..=40, "[a-z]").prop_map(move |(over, c)| {
        let frame = r#"{"a": [""]}"#.len();
        (format!(r#"{{"a": ["{}"]}}"#, c.repeat(limit + over - frame)), PatternTooLong)
    });
    prop_oneof![
        12 => members,
        2 => json,
        1 => json_fixed,
        1 => not_object,
        1 => empty,
        1 => deep,
        1 => long,
    ]
    .boxed()
}

#[cfg(test)]
mod tests {
    #[test]
    fn complexity_case_is_too_complex() {
        for sep in [":", "/", "-", "ab"] {
            for stars in 6..=8 {
                let w = format!("{}event-bus/*", format!("*{sep}").repeat(stars - 1));
                assert!(crate::compile::complexity::complexity(&[&w]) > 10, "{w}");
            }
        }
    }
}
