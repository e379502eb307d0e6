//! The CLI as CI uses it: `check` on templates (positions pinned through YAML scalars and JSON
//! escapes, every output format, SARIF against its schema), `test`, `explain`, `match --machine`,
//! gzip input, completions and colour. Human diagnostics are snapshot-tested against
//! `tests/data/snapshots/` (`EVENTSIFT_BLESS=1` rewrites the snapshots).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eventsift"));
    c.current_dir(env!("CARGO_MANIFEST_DIR")).env_remove("NO_COLOR");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventsift-ci-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A diagnostic: file name, code, line, column, end line, end column.
type Found = (String, String, u64, u64, u64, u64);

/// `check --format json`: the diagnostics, and every JSON object printed.
fn diagnostics(args: &[&str]) -> (Vec<Found>, Vec<Value>) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = run(&all);
    let mut diags = Vec::new();
    let mut objects = Vec::new();
    for line in stdout(&out).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if v["type"] == "diagnostic" {
            let file = Path::new(v["file"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
            diags.push((
                file,
                v["code"].as_str().unwrap().to_string(),
                v["line"].as_u64().unwrap(),
                v["column"].as_u64().unwrap(),
                v["end_line"].as_u64().unwrap(),
                v["end_column"].as_u64().unwrap(),
            ));
        }
        objects.push(v);
    }
    (diags, objects)
}

fn d(file: &str, code: &str, l: u64, c: u64, el: u64, ec: u64) -> Found {
    (file.to_string(), code.to_string(), l, c, el, ec)
}

#[test]
fn positions_in_yaml_and_json_templates() {
    let (found, objects) = diagnostics(&["tests/data/templates/bad"]);
    let y = "sam-mistakes.yaml";
    let j = "cfn-escaped.json";
    assert_eq!(
        found,
        [
            // JSON template: the pattern is a string with \" and \u00e9 escapes before the error.
            d(j, "MultipleOperators", 6, 105, 6, 110),
            d(j, "InvalidNumeric", 14, 66, 14, 71),
            d(j, "wrong-data-key", 15, 25, 15, 33),
            // Pattern written as YAML: the `[]` itself.
            d(y, "EmptyArray", 17, 24, 17, 26),
            // Pattern as a single-quoted YAML string: the 5.
            d(y, "InvalidPrefix", 24, 59, 24, 60),
            // Pattern as a `|` block scalar: the numeric condition on line 28.
            d(y, "numeric-on-dynamodb-number", 28, 63, 28, 84),
            d(y, "wrong-data-key", 30, 30, 30, 36),
            d(y, "template-placeholder", 37, 49, 37, 68),
            d(y, "empty-criteria", 42, 29, 42, 31),
            d(y, "pattern-not-string", 51, 17, 51, 33),
            d(y, "unknown-record-field", 51, 17, 51, 25),
            // The table in the same template streams KEYS_ONLY: no NewImage.
            d(y, "image-absent-for-stream", 68, 43, 68, 53),
        ]
    );
    // Every diagnostic names what holds the filter.
    let contexts: Vec<&str> =
        objects.iter().filter(|v| v["type"] == "diagnostic").map(|v| v["context"].as_str().unwrap()).collect();
    assert_eq!(contexts[0], "resource Rule (AWS::Events::Rule), EventPattern");
    assert_eq!(
        contexts[4],
        "resource Fn (AWS::Serverless::Function), event Stream (DynamoDB), FilterCriteria, filter 0"
    );
    let summary = objects.last().unwrap();
    assert_eq!((summary["errors"].as_u64(), summary["warnings"].as_u64()), (Some(5), Some(7)));
    let files: Vec<&str> =
        objects.iter().filter(|v| v["type"] == "file").map(|v| v["taken_as"].as_str().unwrap()).collect();
    assert_eq!(files, ["cloudformation template", "cloudformation template"]);
}

#[test]
fn yaml_scalar_styles_pin_the_same_token() {
    // One mistake (prefix 5) written four ways: the diagnostic points at the 5 each time.
    let dir = temp_dir("styles");
    let template = "Resources:\n  A:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: {\"a\": [{\"prefix\": 5}]}\n  B:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: '{\"a\": [{\"prefix\": 5}]}'\n  C:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: |\n        {\n          \"a\": [{\"prefix\": 5}]\n        }\n  D:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: \"{\\\"a\\\": [{\\\"prefix\\\": 5}]}\"\n  E:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: >-\n        {\"a\":\n          [{\"prefix\": 5}]}\n";
    std::fs::write(dir.join("t.yaml"), template).unwrap();
    let (found, _) = diagnostics(&[dir.join("t.yaml").to_str().unwrap()]);
    let at: Vec<(u64, u64)> = found.iter().map(|f| (f.2, f.3)).collect();
    for line_col in &at {
        let line = template.lines().nth(line_col.0 as usize - 1).unwrap();
        assert_eq!(line.chars().nth(line_col.1 as usize - 1), Some('5'), "{line}");
    }
    assert_eq!(at, [(5, 39), (9, 40), (15, 28), (20, 44), (26, 23)], "{found:?}");
}

#[test]
fn real_world_templates_are_clean() {
    let good = "tests/data/templates/good";
    let (found, objects) = diagnostics(&[good, "tests/data/templates/good/cdk.out"]);
    // Only notes, for intrinsic functions: nothing valid is reported.
    let codes: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(codes, ["unresolved-intrinsic"; 6], "{found:?}");
    let files: Vec<(String, String, u64)> = objects
        .iter()
        .filter(|v| v["type"] == "file")
        .map(|v| {
            let name = Path::new(v["file"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
            (name, v["taken_as"].as_str().unwrap().to_string(), v["filters"].as_u64().unwrap())
        })
        .collect();
    let expected = [
        ("cfn-pipes.json", "cloudformation template", 7),
        ("sam-orders.yaml", "cloudformation template", 7),
        ("serverless.yml", "serverless framework file", 6),
        ("tfplan.json", "terraform plan", 4),
        ("OrdersStack.template.json", "cloudformation template", 2),
    ];
    let expected: Vec<(String, String, u64)> =
        expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), *c)).collect();
    assert_eq!(files, expected);
    // cdk.out is skipped unless named.
    let (_, objects) = diagnostics(&[good]);
    assert!(!objects.iter().any(|v| v["file"].as_str().is_some_and(|f| f.contains("cdk.out"))));
    assert_eq!(run(&["check", good]).status.code(), Some(0));
    assert_eq!(run(&["check", "--deny-warnings", good]).status.code(), Some(0));
}

/// Real templates of public projects (`tests/data/templates/public/SOURCES.md`): every filter is
/// found, and what is reported is what is wrong (the SAM translator's fixture uses bare values, the
/// MSK sample writes `!Ref` inside a pattern string, the CDK boolean-filter test matches `BOOL`
/// under its table's string key `id`).
#[test]
fn public_templates_are_read_as_their_authors_meant() {
    let (found, objects) = diagnostics(&["tests/data/templates/public"]);
    let files: Vec<(String, u64)> = objects
        .iter()
        .filter(|v| v["type"] == "file")
        .map(|v| {
            let name = Path::new(v["file"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
            (name, v["filters"].as_u64().unwrap())
        })
        .collect();
    let expected = [
        ("cdk-integ-EventsPatternValidationStack.template.json", 1),
        ("cdk-integ-codebuild-events.template.json", 3),
        ("cdk-integ-dynamodb-boolean-filter.template.json", 1),
        ("cdk-integ-events-RuleStack.template.json", 6),
        ("cdk-integ-sqs-null-filter.template.json", 1),
        ("sam-translator-function_with_event_filtering.yaml", 7),
        ("serverless.yml", 2),
        ("sp-dynamodb-streams-lambda-event-filters.yaml", 2),
        ("sp-eventbridge-lambda.yaml", 1),
        ("sp-eventbridge-pipes-ddbstream-to-eventbridge-suffix-matching.yaml", 1),
        ("sp-eventbridge-pipes-ddbstream-with-filters-to-eventbridge.yaml", 3),
        // A pipe of the serverless-pipes plugin.
        ("serverless.yml", 1),
        // The project's metadata, not a pattern, though its name says "pattern".
        ("example-pattern.json", 0),
        ("template.yaml", 1),
        ("sp-eventbridge-pipes-sqs-to-sqs-with-data-filter.yaml", 1),
        ("sp-lambda-esm-ddb-filters-sam.yaml", 7),
        ("sp-lambda-esm-kinesis-filters-sam.yaml", 8),
        ("sp-lambda-esm-msk-filters-sam.yaml", 9),
        ("sp-lambda-esm-sqs-filters-sam.yaml", 7),
        ("sp-s3-eventbridge.yaml", 1),
    ];
    let expected: Vec<(String, u64)> = expected.iter().map(|(f, n)| (f.to_string(), *n)).collect();
    assert_eq!(files, expected);
    let got: Vec<(&str, &str, u64, u64)> = found.iter().map(|f| (f.0.as_str(), f.1.as_str(), f.2, f.3)).collect();
    let cb = "cdk-integ-codebuild-events.template.json";
    let sam = "sam-translator-function_with_event_filtering.yaml";
    assert_eq!(
        got,
        [
            (cb, "unresolved-intrinsic", 17, 7),
            (cb, "unresolved-intrinsic", 259, 8),
            (cb, "unresolved-intrinsic", 288, 8),
            ("cdk-integ-dynamodb-boolean-filter.template.json", "key-type-mismatch", 102, 84),
            (sam, "InvalidFieldValue", 16, 36),
            (sam, "InvalidFieldValue", 17, 37),
            (sam, "InvalidFieldValue", 33, 36),
            (sam, "InvalidFieldValue", 43, 36),
            (sam, "InvalidFieldValue", 60, 36),
            (sam, "InvalidFieldValue", 73, 36),
            ("sp-lambda-esm-msk-filters-sam.yaml", "template-placeholder", 205, 49),
            ("sp-s3-eventbridge.yaml", "unresolved-intrinsic", 121, 17),
        ]
    );
}

#[test]
fn sub_placeholders_are_blanked_and_the_rest_checked() {
    let dir = temp_dir("sub");
    let t = "Resources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: !Sub '{\"source\": [\"${Prefix}.orders\"], \"detail\": {\"n\": [{\"numeric\": [\">\", \"x\"]}]}}'\n";
    std::fs::write(dir.join("sub.yaml"), t).unwrap();
    let (found, _) = diagnostics(&[dir.join("sub.yaml").to_str().unwrap()]);
    let codes: Vec<(&str, u64, u64)> = found.iter().map(|f| (f.1.as_str(), f.2, f.3)).collect();
    assert_eq!(codes, [("unresolved-intrinsic", 5, 40), ("InvalidNumeric", 5, 95)]);
    let line = t.lines().nth(4).unwrap();
    assert_eq!(&line[39..48], "${Prefix}");
    assert_eq!(&line[94..97], "\"x\"");
}

/// Values filled in at deploy time: a placeholder in an array is a number for the rest of the
/// check, one elsewhere stops it (and the note says so), a list of filters built by an intrinsic
/// or a Serverless variable is noted (not read as filters, not "no filters").
#[test]
fn deploy_time_values_are_noted_for_what_they_stop() {
    let dir = temp_dir("deploy-time");
    let t = "Resources:\n  Q: {Type: AWS::SQS::Queue}\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: !Sub '{\"detail\": {\"n\": [{\"numeric\": [\">\", ${Min}]}], \"b\": \"bad\"}}'\n  S:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: !Sub '{\"detail\": {\"m\": [{\"prefix\": ${P}}], \"b\": \"bad\"}}'\n  E:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n      FunctionName: f\n      EventSourceArn: !GetAtt Q.Arn\n      FilterCriteria:\n        Filters: !FindInMap [Filters, !Ref Stage, List]\n";
    std::fs::write(dir.join("t.yaml"), t).unwrap();
    let (found, objects) = diagnostics(&[dir.join("t.yaml").to_str().unwrap()]);
    let codes: Vec<(&str, u64, u64)> = found.iter().map(|f| (f.1.as_str(), f.2, f.3)).collect();
    assert_eq!(
        codes,
        [
            ("unresolved-intrinsic", 6, 63),
            ("InvalidFieldValue", 6, 79),
            ("unresolved-intrinsic", 10, 56),
            ("unresolved-intrinsic", 17, 9),
        ]
    );
    let messages: Vec<&str> =
        objects.iter().filter(|v| v["type"] == "diagnostic").map(|v| v["message"].as_str().unwrap()).collect();
    assert!(messages[0].ends_with("(the rest of the pattern was checked)"), "{}", messages[0]);
    assert!(messages[2].contains("the check stopped at Fn::Sub placeholder ${P} at 10:56"), "{}", messages[2]);
    assert!(messages[3].contains("built by Fn::FindInMap"), "{}", messages[3]);

    let sls = "service: s\nprovider: {name: aws}\ncustom:\n  filters:\n    - body: {a: [x]}\nfunctions:\n  f:\n    handler: h.f\n    events:\n      - sqs:\n          arn: arn:aws:sqs:us-east-1:123456789012:q\n          filterPatterns: ${self:custom.filters}\n      - stream:\n          type: dynamodb\n          arn: arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x\n          filterPatterns:\n            - eventName: [INSERT, UPDATE]\n";
    let sub = dir.join("sls");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("serverless.yml"), sls).unwrap();
    let (found, objects) = diagnostics(&[sub.join("serverless.yml").to_str().unwrap()]);
    let codes: Vec<(&str, u64, u64)> = found.iter().map(|f| (f.1.as_str(), f.2, f.3)).collect();
    assert_eq!(codes, [("unresolved-intrinsic", 12, 27), ("unknown-event-name", 17, 35)]);
    let messages: Vec<&str> =
        objects.iter().filter(|v| v["type"] == "diagnostic").map(|v| v["message"].as_str().unwrap()).collect();
    assert!(messages[0].contains("the Serverless variable ${self:custom.filters}"), "{}", messages[0]);
}

/// Pipes of the `serverless-pipes` plugin (a top-level `pipes:` in serverless.yml) are checked as
/// EventBridge Pipes filters, with their source.
#[test]
fn serverless_pipes_plugin_filters_are_checked() {
    let dir = temp_dir("sls-pipes").join("svc");
    std::fs::create_dir_all(&dir).unwrap();
    let t = "service: s\nprovider: {name: aws}\npipes:\n  p:\n    source:\n      sqs: {arn: arn:aws:sqs:us-east-1:123456789012:q}\n    target:\n      sqs: {arn: arn:aws:sqs:us-east-1:123456789012:t}\n    filter:\n      - Pattern: '{\"body\": {\"kind\": \"order\"}}'\n      - Pattern: '{\"data\": {\"kind\": [\"order\"]}}'\n";
    std::fs::write(dir.join("serverless.yml"), t).unwrap();
    let (found, objects) = diagnostics(&[dir.join("serverless.yml").to_str().unwrap()]);
    let codes: Vec<(&str, u64, u64)> = found.iter().map(|f| (f.1.as_str(), f.2, f.3)).collect();
    assert_eq!(codes, [("InvalidFieldValue", 10, 37), ("wrong-data-key", 11, 20)]);
    let file = objects.iter().find(|v| v["type"] == "file").unwrap();
    assert_eq!(file["filters"], 2);
}

/// A YAML file of several documents: the first is checked, and a warning says the others were not
/// (not for a trailing `---`, nor for a file the scan skips).
#[test]
fn later_yaml_documents_are_reported() {
    let dir = temp_dir("multidoc");
    let rule = |d: &str| {
        format!("Resources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: {{source: [a], detail: {d}}}\n")
    };
    std::fs::write(dir.join("two.yaml"), format!("{}---\n{}", rule("bad"), rule("bad2"))).unwrap();
    std::fs::write(dir.join("trailing.yaml"), format!("{}---\n", rule("{a: [1]}"))).unwrap();
    std::fs::write(dir.join("k8s.yaml"), "apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: B\n").unwrap();
    let (found, _) = diagnostics(&[dir.to_str().unwrap()]);
    let codes: Vec<(&str, &str, u64, u64)> = found.iter().map(|f| (f.0.as_str(), f.1.as_str(), f.2, f.3)).collect();
    assert_eq!(codes, [("two.yaml", "InvalidFieldValue", 5, 43), ("two.yaml", "more-documents", 7, 1)]);
}

/// A pattern string joined from pieces (`Fn::Join`, as CDK writes a string with tokens): the
/// string pieces are checked, the others are resolved at deploy time.
#[test]
fn join_pieces_are_checked() {
    let dir = temp_dir("join");
    let t = "Resources:\n  R:\n    Type: AWS::Events::Rule\n    Properties:\n      EventPattern: !Join ['', ['{\"source\": [\"', !Ref Src, '\"], \"detail\": {\"n\": [{\"numeric\": [\">\", ', !Ref Min, ']}]}, \"detail-type\": \"bad\"}']]\n";
    std::fs::write(dir.join("join.yaml"), t).unwrap();
    let (found, objects) = diagnostics(&[dir.join("join.yaml").to_str().unwrap()]);
    let codes: Vec<(&str, u64, u64)> = found.iter().map(|f| (f.1.as_str(), f.2, f.3)).collect();
    assert_eq!(codes, [("unresolved-intrinsic", 5, 50), ("InvalidFieldValue", 5, 135)]);
    let note = objects.iter().find(|v| v["type"] == "diagnostic").unwrap()["message"].as_str().unwrap();
    assert!(note.starts_with("Ref in Fn::Join at 5:50 and 1 more value"), "{note}");
    let line = t.lines().nth(4).unwrap();
    assert_eq!(&line[49..57], "!Ref Src");
    assert_eq!(&line[134..139], "\"bad\"");
}

/// A diagnostic with its context: code, line, column, end line, end column, context.
type Placed = (String, u64, u64, u64, u64, String);

/// `check --format json` on `path`: each diagnostic placed, each message, and the summary.
fn placed(path: &str) -> (Vec<Placed>, Vec<String>, Value) {
    let (_, objects) = diagnostics(&[path]);
    let diags: Vec<&Value> = objects.iter().filter(|v| v["type"] == "diagnostic").collect();
    let placed = diags
        .iter()
        .map(|v| {
            let n = |k: &str| v[k].as_u64().unwrap();
            let context = v["context"].as_str().unwrap_or_default().to_string();
            (v["code"].as_str().unwrap().to_string(), n("line"), n("column"), n("end_line"), n("end_column"), context)
        })
        .collect();
    let messages = diags.iter().map(|v| v["message"].as_str().unwrap().to_string()).collect();
    (placed, messages, objects.last().unwrap().clone())
}

fn p(code: &str, l: u64, c: u64, el: u64, ec: u64, context: &str) -> Placed {
    (code.to_string(), l, c, el, ec, context.to_string())
}

/// The text of `file` at a 1-based line and column (in characters), `len` characters of it.
fn text_at(file: &str, line: u64, col: u64, len: usize) -> String {
    let l = file.lines().nth(line as usize - 1).unwrap();
    l.chars().skip(col as usize - 1).take(len).collect()
}

/// `Fn::If` in a YAML template, short form (`!If`, block and flow) and long form (`Fn::If:`):
/// each value is checked as if it were written there, at its own position, and the context names
/// the branch; a `Filters: !If` list is held to the limit of 5 in each value; `AWS::NoValue` holds
/// nothing; a value that is an intrinsic is handled as one (`!Sub` checked, `!FindInMap` noted).
#[test]
fn fn_if_values_are_each_checked_in_yaml() {
    let path = "tests/data/templates/if/sam-if.yaml";
    let file = std::fs::read_to_string(path).unwrap();
    let (found, messages, summary) = placed(path);
    let func = "resource Fn (AWS::Serverless::Function), event Stream (DynamoDB), FilterCriteria";
    let mapping = "resource Mapping (AWS::Lambda::EventSourceMapping), FilterCriteria";
    let nested = "resource Nested (AWS::Lambda::EventSourceMapping), FilterCriteria";
    assert_eq!(
        found,
        [
            // `!Sub` as the first value: its placeholder is noted, the rest checked.
            p("unresolved-intrinsic", 34, 95, 34, 103, &format!("{func}, filter 1, first value of Fn::If [IsProd]")),
            // A block-form `!If`: the lint points into its second value, on its own line.
            p(
                "unknown-event-name",
                33,
                49,
                33,
                57,
                &format!("{func}, filter 0, second value of Fn::If [IsProd], dynamodb records"),
            ),
            // `Filters: !If`: the second list has 6 filters (the first has 1, which is fine); the
            // source (SQS) comes from the `!If` of EventSourceArn, whose values agree.
            p("too-many-filters", 49, 24, 49, 51, &format!("{mapping}, second value of Fn::If [IsProd]")),
            p("InvalidNumeric", 48, 59, 48, 62, &format!("{mapping}, second value of Fn::If [IsProd], filter 4")),
            p(
                "wrong-data-key",
                49,
                26,
                49,
                32,
                &format!("{mapping}, second value of Fn::If [IsProd], filter 5, sqs records"),
            ),
            // Long form with a short-form `!If` nested in its first value.
            p(
                "InvalidPrefix",
                60,
                58,
                60,
                59,
                &format!("{nested}, filter 0, first value of Fn::If [IsProd], first value of Fn::If [IsEu]"),
            ),
            p(
                "unresolved-intrinsic",
                60,
                66,
                60,
                105,
                &format!("{nested}, filter 0, first value of Fn::If [IsProd], second value of Fn::If [IsEu]"),
            ),
            // A filter chosen by `!If` (or absent, AWS::NoValue).
            p("EmptyArray", 62, 50, 62, 52, &format!("{nested}, filter 1, first value of Fn::If [IsEu]")),
            // The whole FilterCriteria chosen by `!If`: its first value has no filters.
            p(
                "empty-criteria",
                68,
                37,
                68,
                44,
                "resource Whole (AWS::Lambda::EventSourceMapping), FilterCriteria, first value of Fn::If [IsProd]",
            ),
            // A rule's EventPattern: the object value is valid, the string value is not.
            p(
                "InvalidPrefix",
                72,
                79,
                72,
                80,
                "resource Rule (AWS::Events::Rule), EventPattern, second value of Fn::If [IsProd]"
            ),
        ]
    );
    // Each position is that of the offending text in the file.
    assert_eq!(text_at(&file, 34, 95, 8), "${Stage}");
    assert_eq!(text_at(&file, 33, 49, 8), "\"UPDATE\"");
    assert_eq!(text_at(&file, 49, 24, 27), "'{\"data\": {\"kind\": [\"f\"]}}'");
    assert_eq!(text_at(&file, 48, 59, 3), "\"x\"");
    assert_eq!(text_at(&file, 60, 58, 1), "5");
    assert_eq!(text_at(&file, 60, 66, 39), "!FindInMap [Patterns, !Ref Stage, Body]");
    assert_eq!(text_at(&file, 62, 50, 2), "[]");
    assert_eq!(text_at(&file, 68, 37, 7), "Filters");
    assert_eq!(text_at(&file, 72, 79, 1), "5");
    assert_eq!(messages[2], "6 filters, but an event-source mapping allows 5 (a quota that AWS can raise to 10)");
    assert_eq!(messages[6], "this pattern is built by Fn::FindInMap at deploy time: it cannot be checked statically");
    // Every value holding a pattern counts as a filter: 2 + 1 (the other is AWS::NoValue), 1 + 6,
    // 3 + 1, none (an empty list, and AWS::NoValue), and 2 for the rule.
    assert_eq!(
        (&summary["filters"], &summary["errors"], &summary["warnings"], &summary["notes"]),
        (&Value::from(16), &Value::from(5), &Value::from(3), &Value::from(2))
    );
    // The human format shows the branch under the caret.
    let out = run(&["--color", "never", "check", path]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "72 |       EventPattern: !If [IsProd, {source: [aws.ec2]}, '{\"source\": [{\"prefix\": 5}]}']\n   |                                                                               ^ resource Rule (AWS::Events::Rule), EventPattern, second value of Fn::If [IsProd]"
        ),
        "{err}"
    );
    assert!(err.ends_with("checked 16 filters in 1 file: 5 errors, 3 warnings, 2 notes\n"), "{err}");
}

/// `{"Fn::If": [...]}` in a JSON template: positions through the string escapes of each value, an
/// `Fn::Join` value checked piece by piece, `{"Ref": "AWS::NoValue"}` holding nothing, and a pipe's
/// `Filters` chosen by `Fn::If`.
#[test]
fn fn_if_values_are_each_checked_in_json() {
    let path = "tests/data/templates/if/cfn-if.json";
    let file = std::fs::read_to_string(path).unwrap();
    let (found, messages, summary) = placed(path);
    let mapping = "resource Mapping (AWS::Lambda::EventSourceMapping), FilterCriteria";
    assert_eq!(
        found,
        [
            p("InvalidSuffix", 17, 123, 17, 124, &format!("{mapping}, filter 0, second value of Fn::If [IsProd]")),
            p("unresolved-intrinsic", 18, 112, 18, 126, &format!("{mapping}, filter 1, first value of Fn::If [IsProd]")),
            p("InvalidFieldValue", 18, 141, 18, 148, &format!("{mapping}, filter 1, first value of Fn::If [IsProd]")),
            p(
                "wrong-data-key",
                31,
                86,
                31,
                94,
                "resource Pipe (AWS::Pipes::Pipe), SourceParameters.FilterCriteria, second value of Fn::If [IsProd], filter 0, kinesis records",
            ),
        ]
    );
    assert_eq!(text_at(&file, 17, 123, 1), "7");
    assert_eq!(text_at(&file, 18, 112, 14), "{\"Ref\": \"Min\"}");
    assert_eq!(text_at(&file, 18, 141, 7), "\\\"bad\\\"");
    assert_eq!(text_at(&file, 31, 86, 8), "\\\"body\\\"");
    assert!(messages[1].starts_with("Ref in Fn::Join at 18:112 is resolved at deploy time"), "{}", messages[1]);
    assert_eq!(
        (&summary["filters"], &summary["errors"], &summary["warnings"], &summary["notes"]),
        (&Value::from(4), &Value::from(2), &Value::from(1), &Value::from(1))
    );
}

/// An event source or stream given by `Fn::If`: used when its values name the same source (the
/// table's stream view type too), not when they differ; `AWS::NoValue` is no source.
#[test]
fn fn_if_event_sources_are_used_when_their_values_agree() {
    let dir = temp_dir("if-source");
    let t = "Resources:
  S: {Type: AWS::Kinesis::Stream}
  S2: {Type: AWS::Kinesis::Stream}
  Q: {Type: AWS::SQS::Queue}
  T:
    Type: AWS::DynamoDB::Table
    Properties: {StreamSpecification: {StreamViewType: KEYS_ONLY}}
  Same:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !If [C, !GetAtt S.Arn, !GetAtt S2.Arn]
      FilterCriteria: {Filters: [{Pattern: '{\"body\": {\"a\": [\"x\"]}}'}]}
  Differ:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: {\"Fn::If\": [C, !GetAtt S.Arn, !GetAtt Q.Arn]}
      FilterCriteria: {Filters: [{Pattern: '{\"body\": {\"a\": [\"x\"]}}'}]}
  Stream:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !If [C, !GetAtt T.StreamArn, !Ref AWS::NoValue]
      FilterCriteria: {Filters: [{Pattern: '{\"dynamodb\": {\"NewImage\": {\"a\": {\"S\": [\"x\"]}}}}'}]}
";
    std::fs::write(dir.join("t.yaml"), t).unwrap();
    let (found, _, summary) = placed(dir.join("t.yaml").to_str().unwrap());
    let codes: Vec<(&str, u64, u64, &str)> = found.iter().map(|f| (f.0.as_str(), f.1, f.2, f.5.as_str())).collect();
    assert_eq!(
        codes,
        [
            (
                "wrong-data-key",
                12,
                46,
                "resource Same (AWS::Lambda::EventSourceMapping), FilterCriteria, filter 0, kinesis records"
            ),
            (
                "image-absent-for-stream",
                22,
                59,
                "resource Stream (AWS::Lambda::EventSourceMapping), FilterCriteria, filter 0, dynamodb records"
            ),
        ]
    );
    assert_eq!(text_at(t, 12, 46, 6), "\"body\"");
    assert_eq!(text_at(t, 22, 59, 10), "\"NewImage\"");
    assert_eq!(summary["filters"], 3);
}

/// A stream filter on a key attribute of the mapping's table (its `AttributeDefinitions`) under
/// another type key never matches: `key-type-mismatch` at the type key used, in `Keys`, `NewImage`
/// and `OldImage`, inside `$or`, below the wrong key (`M`), for a plain or a global table, found as
/// the stream view type is (SAM `Stream`, `Fn::GetAtt`, an `Fn::If` whose values agree, a pipe's
/// `Source`). The declared type keys, `exists: false`, attributes the table does not declare and
/// an `Fn::If` between tables that declare different keys draw nothing.
#[test]
fn key_attributes_under_another_type_key_are_reported() {
    let dir = "tests/data/templates/keytypes";
    let (found, objects) = diagnostics(&[dir]);
    let (j, y) = ("cfn-keytypes.json", "sam-keytypes.yaml");
    let k = "key-type-mismatch";
    assert_eq!(
        found,
        [
            d(j, k, 27, 96, 27, 101),
            d(j, k, 28, 68, 28, 73),
            d(j, k, 43, 133, 43, 139),
            d(y, k, 59, 59, 59, 62),
            d(y, k, 60, 63, 60, 66),
            d(y, k, 65, 59, 65, 62),
            d(y, k, 80, 68, 80, 71),
        ]
    );
    // Each points at the type key used, as written in the file.
    let json = std::fs::read_to_string(Path::new(dir).join(j)).unwrap();
    let yaml = std::fs::read_to_string(Path::new(dir).join(y)).unwrap();
    let at: Vec<String> =
        found.iter().map(|f| text_at(if f.0 == j { &json } else { &yaml }, f.2, f.3, (f.5 - f.3) as usize)).collect();
    assert_eq!(at, [r#"\"S\""#, r#"\"M\""#, r#"\"NS\""#, r#""N""#, r#""S""#, r#""S""#, r#""S""#]);
    let diags: Vec<&Value> = objects.iter().filter(|v| v["type"] == "diagnostic").collect();
    let said = |i: usize, k: &str| diags[i][k].as_str().unwrap().to_string();
    assert_eq!(
        said(3, "message"),
        r#"the table declares "pk" as type S, so stream records always carry it as {"S": ...}, never under "N": no record can match this condition"#
    );
    assert_eq!(said(3, "help"), r#"use the declared type key: {"pk": {"S": ["42"]}}"#);
    assert_eq!(said(3, "severity"), "warning");
    for (i, (attr, declared, used)) in [
        ("started", "N", "S"),
        ("user", "S", "M"),
        ("started", "N", "NS"),
        ("pk", "S", "N"),
        ("sk", "N", "S"),
        ("gsi1pk", "B", "S"),
        ("account", "N", "S"),
    ]
    .into_iter()
    .enumerate()
    {
        let m = said(i, "message");
        assert!(m.contains(&format!("declares \"{attr}\" as type {declared}")), "{m}");
        assert!(m.contains(&format!("never under \"{used}\"")) && m.ends_with("no record can match this condition"));
    }
    assert_eq!(said(1, "help"), r#"use the declared type key: {"user": {"S": ...}}"#);
    assert_eq!(said(6, "help"), r#"use the declared type key: {"account": {"N": [{"anything-but": ["0"]}]}}"#);
    let contexts: Vec<String> = (0..diags.len()).map(|i| said(i, "context")).collect();
    assert_eq!(
        contexts,
        [
            "resource SessionsMapping (AWS::Lambda::EventSourceMapping), FilterCriteria, filter 0, dynamodb records",
            "resource SessionsMapping (AWS::Lambda::EventSourceMapping), FilterCriteria, filter 1, dynamodb records",
            "resource SessionsPipe (AWS::Pipes::Pipe), SourceParameters.FilterCriteria, filter 0, dynamodb records",
            "resource OrdersFunction (AWS::Serverless::Function), event OrdersStream (DynamoDB), FilterCriteria, filter 0, dynamodb records",
            "resource OrdersFunction (AWS::Serverless::Function), event OrdersStream (DynamoDB), FilterCriteria, filter 1, dynamodb records",
            "resource OrdersFunction (AWS::Serverless::Function), event OrdersStream (DynamoDB), FilterCriteria, filter 4, dynamodb records",
            "resource AccountsFunction (AWS::Serverless::Function), event AccountsStream (DynamoDB), FilterCriteria, filter 0, dynamodb records",
        ]
    );
    // Every filter counted; the correct-type filters (SessionsMapping 2, SessionsPipe 1,
    // OrdersStream 2 and 3, AccountsStream 1) and EitherStream's draw nothing.
    let out = run(&["check", dir]);
    assert!(
        stderr(&out).ends_with("checked 13 filters in 2 files: 0 errors, 7 warnings, 0 notes\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(run(&["check", "--deny-warnings", dir]).status.code(), Some(1));
}

/// The limit of 5 counts a filter whose pattern is chosen by `Fn::If` once (and one that
/// `Fn::If` may leave out as present), while the summary counts every pattern checked; `Fn::If`s
/// are followed 8 deep, and one nested deeper is noted as built at deploy time.
#[test]
fn fn_if_filters_count_once_against_the_limit_and_nesting_is_bounded() {
    let dir = temp_dir("if-limit");
    let chosen = |i: usize| {
        format!(
            "        - Pattern: !If [C, '{{\"body\": {{\"a\": [\"{i}\"]}}}}', '{{\"body\": {{\"b\": [\"{i}\"]}}}}']\n"
        )
    };
    let mapping = |name: &str, filters: String| {
        format!("  {name}:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n      FilterCriteria:\n        Filters:\n{filters}")
    };
    // Five filters of two values each: ten patterns, five filters.
    let five: String = (0..5).map(chosen).collect();
    // Five, and a sixth that `!If` leaves out in one branch: six filters when C holds.
    let six = format!("{five}        - !If [C, {{Pattern: '{{\"body\": {{\"c\": [\"x\"]}}}}'}}, !Ref AWS::NoValue]\n");
    // Nine `!If`s nested in the first value of the one before.
    fn deep(k: usize) -> String {
        if k == 9 {
            "'{\"body\": {\"z\": [\"deep\"]}}'".to_string()
        } else {
            format!("!If [C{k}, {}, '{{\"body\": {{\"a{k}\": [\"x\"]}}}}']", deep(k + 1))
        }
    }
    let t = format!(
        "Resources:\n{}{}{}",
        mapping("Five", five),
        mapping("Six", six),
        mapping("Deep", format!("          - Pattern: {}\n", deep(0)))
    );
    std::fs::write(dir.join("t.yaml"), &t).unwrap();
    let (found, messages, summary) = placed(dir.join("t.yaml").to_str().unwrap());
    let codes: Vec<(&str, u64, u64, &str)> = found.iter().map(|f| (f.0.as_str(), f.1, f.2, f.5.as_str())).collect();
    let eighth: String = (0..8).map(|k| format!(", first value of Fn::If [C{k}]")).collect();
    assert_eq!(
        codes,
        [
            ("too-many-filters", 22, 29, "resource Six (AWS::Lambda::EventSourceMapping), FilterCriteria"),
            (
                "unresolved-intrinsic",
                28,
                94,
                &format!("resource Deep (AWS::Lambda::EventSourceMapping), FilterCriteria, filter 0{eighth}") as &str
            ),
        ]
    );
    assert_eq!(messages[0], "6 filters, but an event-source mapping allows 5 (a quota that AWS can raise to 10)");
    // At the sixth filter's pattern.
    assert_eq!(text_at(&t, 22, 29, 24), "'{\"body\": {\"c\": [\"x\"]}}'");
    assert_eq!(messages[1], "this pattern is built by Fn::If at deploy time: it cannot be checked statically");
    assert_eq!(text_at(&t, 28, 94, 8), "!If [C8,");
    // 10 + 11 + 9 (the second values of the eight followed, and the one noted).
    assert_eq!(summary["filters"], 30);
    assert_eq!(summary["errors"], 1);
}

#[test]
fn human_output_snapshot() {
    let out = run(&["--color", "never", "check", "tests/data/templates/bad"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot("check-bad.txt", &stderr(&out));
}

fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/snapshots").join(name);
    if std::env::var_os("EVENTSIFT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(expected == actual, "snapshot {name} differs (EVENTSIFT_BLESS=1 to accept):\n{actual}");
}

#[test]
fn sarif_passes_the_schema() {
    let out = run(&["check", "--format", "sarif", "tests/data/templates/bad", "tests/data/templates/good"]);
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 12 + 6);
    let first = &results[0];
    assert_eq!(first["ruleId"], "MultipleOperators");
    assert_eq!(first["level"], "error");
    assert_eq!(first["locations"][0]["physicalLocation"]["region"]["startLine"], 6);
    assert_eq!(first["locations"][0]["physicalLocation"]["region"]["startColumn"], 105);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules[first["ruleIndex"].as_u64().unwrap() as usize]["id"], "MultipleOperators");
}

#[test]
fn github_workflow_commands() {
    let out = run(&["check", "--format", "github", "tests/data/templates/bad"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 12);
    assert_eq!(
        lines[0],
        "::error file=tests/data/templates/bad/cfn-escaped.json,line=6,col=105,endLine=6,endColumn=110,title=eventsift MultipleOperators::Only one key allowed in match expression (resource Rule (AWS::Events::Rule), EventPattern)"
    );
    assert!(
        lines[2].starts_with("::warning file=tests/data/templates/bad/cfn-escaped.json,line=15,col=25,"),
        "{}",
        lines[2]
    );
    // Newlines in the message are escaped: one command per line.
    assert!(lines[2].contains("%0Ahelp: the data key of Kinesis records is"), "{}", lines[2]);
}

#[test]
fn exit_codes_and_what_files_are_taken_for() {
    let dir = temp_dir("kinds");
    std::fs::write(dir.join("empty.json"), "{}").unwrap();
    // `{}` is an empty FilterCriteria (a warning)…
    let out = run(&["check", "-v", dir.join("empty.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.contains("empty.json: criteria (0 filters)"), "{err}");
    assert!(err.contains("warning[empty-criteria]"), "{err}");
    assert_eq!(run(&["check", "--deny-warnings", dir.join("empty.json").to_str().unwrap()]).status.code(), Some(1));
    // …unless --dialect makes it a pattern: then it is an error.
    let out = run(&["check", "--dialect", "EventBridge", dir.join("empty.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error[EmptyObject]"), "{}", stderr(&out));
    // Usage and I/O errors are 2.
    assert_eq!(run(&["check"]).status.code(), Some(2));
    assert_eq!(run(&["check", "/nonexistent/template.yaml"]).status.code(), Some(2));
    assert_eq!(run(&["check", "--format", "xml", "x"]).status.code(), Some(2));
    // A YAML file that is not a template, named: a warning that nothing was checked.
    std::fs::write(dir.join("other.yaml"), "a: 1\n").unwrap();
    let out = run(&["check", dir.join("other.yaml").to_str().unwrap()]);
    assert!(stderr(&out).contains("warning[unrecognised-file]"), "{}", stderr(&out));
    // Found in a directory, it is skipped silently; so is a broken YAML file.
    std::fs::write(dir.join("broken.yaml"), "a: [\n").unwrap();
    let out = run(&["check", "--format", "json", dir.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(text.contains("\"taken_as\":\"skipped\""), "{text}");
    assert!(!text.contains("\"type\":\"diagnostic\""), "{text}");
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let bad = "tests/data/templates/bad/cfn-escaped.json";
    assert!(stderr(&run(&["--color", "always", "check", bad])).contains("\x1b["));
    assert!(!stderr(&run(&["--color", "never", "check", bad])).contains("\x1b["));
    // Not a terminal: no colour on auto.
    assert!(!stderr(&run(&["check", bad])).contains("\x1b["));
    let out = bin().env("NO_COLOR", "1").args(["check", bad]).output().unwrap();
    assert!(!stderr(&out).contains("\x1b["));
}

#[test]
fn test_command_runs_cases_and_explains_failures() {
    let out = run(&["test", "tests/data/filter-tests/orders.test.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().filter(|l| l.starts_with("ok")).count(), 5, "{text}");
    assert_eq!(text.lines().last(), Some("5 passed, 0 failed"));

    let out = run(&["test", "tests/data/filter-tests/orders.test.yaml", "tests/data/filter-tests/failing.test.json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let fail = text.lines().find(|l| l.starts_with("FAIL")).unwrap();
    assert_eq!(
        fail,
        "FAIL tests/data/filter-tests/failing.test.json:2:13 › a deliberately failing case › stopped is expected to match, wrongly: expected a match; no match: detail.state is \"stopped\", which fails [\"running\"]"
    );
    assert_eq!(text.lines().last(), Some("5 passed, 1 failed"));
    assert_eq!(run(&["test", "/nonexistent.yaml"]).status.code(), Some(2));
}

#[test]
fn explain_names_path_condition_and_value() {
    let out = run(&[
        "explain",
        r#"{"detail": {"state": ["running"], "n": [{"numeric": [">", 5]}]}}"#,
        r#"{"detail": {"state": "stopped", "n": [1, 9]}}"#,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.starts_with("no match: detail.state is \"stopped\", which fails [\"running\"]\n"), "{text}");
    assert!(text.contains("9 at [1]: accepted by {\"numeric\": [\">\", 5]}"), "{text}");
    assert!(text.contains("1 at [0]: rejected by every condition"), "{text}");

    let out = run(&["explain", "--format", "json", "examples/data/ec2-running-large.json", r#"{"source": "x"}"#]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["matched"], false);
    assert!(v["summary"].as_str().unwrap().starts_with("no match"), "{v}");

    // A FilterCriteria on a record: each filter explained on the decoded view.
    let dir = temp_dir("explain");
    let criteria = dir.join("c.json");
    std::fs::write(&criteria, r#"{"Filters": [{"Pattern": "{\"body\": {\"kind\": [\"order\"]}}"}]}"#).unwrap();
    let out = run(&[
        "explain",
        "--criteria",
        "--source",
        "sqs",
        criteria.to_str().unwrap(),
        r#"{"messageId": "m", "body": "{\"kind\": \"refund\"}"}"#,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("filter 0: no match: body.kind is \"refund\", which fails [\"order\"]"),
        "{}",
        stdout(&out)
    );
    assert_eq!(run(&["explain", "{\"a\": []}", "{}"]).status.code(), Some(2));
}

#[test]
fn match_with_a_machine_and_gzip() {
    let dir = temp_dir("machine");
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        "running:\n  detail: {state: [running]}\nbig: '{\"detail\": {\"n\": [{\"numeric\": [\">\", 5]}]}}'\n",
    )
    .unwrap();
    let events = "{\"detail\": {\"state\": \"running\", \"n\": 9}}\n{\"detail\": {\"state\": \"stopped\"}}\n{\"detail\": {\"n\": 7}}\n";
    let gz = dir.join("events.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(events.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let out = run(&["match", "--machine", rules.to_str().unwrap(), gz.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "[\"running\",\"big\"]\n[]\n[\"big\"]\n");
    let out = run(&["match", "--machine", rules.to_str().unwrap(), gz.to_str().unwrap(), "--count"]);
    assert_eq!(stdout(&out), "1\trunning\n2\tbig\n2\t(any rule)\n");
    let out = run(&["match", "--machine", rules.to_str().unwrap(), gz.to_str().unwrap(), "--count", "--invert"]);
    assert_eq!(stdout(&out), "2\trunning\n1\tbig\n1\t(no rule)\n");
    // A single pattern on gzip, counted.
    let out = run(&["match", "examples/data/ec2-running-large.json", "examples/data/ec2-events.jsonl", "--count"]);
    assert_eq!(stdout(&out), "7\n");
    // An invalid rule points into the rules file.
    std::fs::write(&rules, "ok: {a: [x]}\nbad:\n  a: [{prefix: 5}]\n").unwrap();
    let out = run(&["match", "--machine", rules.to_str().unwrap(), gz.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("rules.yaml:3:16: rule bad: prefix match pattern must be a string"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn match_keeps_the_input_order_on_several_threads() {
    // Over 2 MiB of events (several read chunks), matched on 1 and 3 threads, plain and gzip: the
    // output lines follow the input lines, and the counts agree.
    let dir = temp_dir("threads");
    let rules = dir.join("rules.json");
    std::fs::write(
        &rules,
        r#"{"three": {"n": [{"numeric": [">=", 0]}], "m": [0]}, "big": {"n": [{"numeric": [">", 29000]}]}}"#,
    )
    .unwrap();
    let mut events = String::new();
    let mut expected = String::new();
    for i in 0..30_000 {
        events.push_str(&format!("{{\"n\": {i}, \"m\": {}, \"pad\": \"{}\"}}\n", i % 3, "x".repeat(40 + i % 50)));
        let ids: Vec<&str> = [(i % 3 == 0, "\"three\""), (i > 29000, "\"big\"")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, id)| *id)
            .collect();
        expected.push_str(&format!("[{}]\n", ids.join(",")));
    }
    let plain = dir.join("events.jsonl");
    std::fs::write(&plain, &events).unwrap();
    let gz = dir.join("events.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(events.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let r = rules.to_str().unwrap();
    for input in [&plain, &gz] {
        for threads in ["1", "3"] {
            let out = run(&["match", "--machine", r, input.to_str().unwrap(), "--threads", threads]);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            assert!(stdout(&out) == expected, "{} on {threads} threads: output differs", input.display());
            let out = run(&["match", "--machine", r, input.to_str().unwrap(), "--threads", threads, "--count"]);
            assert_eq!(stdout(&out), "10000\tthree\n999\tbig\n10666\t(any rule)\n");
        }
    }
    assert_eq!(run(&["match", "--machine", r, plain.to_str().unwrap(), "--threads", "0"]).status.code(), Some(2));
}

#[test]
fn filter_counts_inverts_and_reads_gzip() {
    let dir = temp_dir("filter");
    let criteria = dir.join("c.json");
    std::fs::write(&criteria, r#"{"Filters": [{"Pattern": "{\"body\": {\"code\": [\"B\"]}}"}]}"#).unwrap();
    let mut lines = String::new();
    for i in 0..10_000 {
        let code = if i % 4 == 0 { "B" } else { "A" };
        lines.push_str(&format!("{{\"messageId\": \"{i}\", \"body\": \"{{\\\"code\\\": \\\"{code}\\\"}}\"}}\n"));
    }
    let gz = dir.join("records.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(lines.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let c = criteria.to_str().unwrap();
    let out = run(&["filter", "--source", "sqs", "--criteria", c, gz.to_str().unwrap(), "--count"]);
    assert_eq!(stdout(&out), "2500\n", "{}", stderr(&out));
    assert!(stderr(&out).ends_with("kept 2500, dropped 7500\n"));
    let out = run(&["filter", "--source", "sqs", "--criteria", c, gz.to_str().unwrap(), "--invert", "-q"]);
    let kept: Vec<&str> = lines.lines().filter(|l| l.contains("\\\"A\\\"")).collect();
    assert_eq!(stdout(&out).lines().collect::<Vec<_>>(), kept);
    // JSON Lines from standard input.
    let mut child = bin()
        .args(["filter", "--source", "sqs", "--criteria", c, "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(lines.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2500);
}

#[test]
fn filter_keeps_lines_longer_than_a_read_chunk() {
    // The reader hands the matcher 1 MiB chunks cut at line ends: records of 2.5 MiB and 1 MiB
    // (a line longer than a chunk, one that ends just past it) between short ones, plain and gzip.
    let dir = temp_dir("long-lines");
    let criteria = dir.join("c.json");
    std::fs::write(&criteria, r#"{"Filters": [{"Pattern": "{\"body\": {\"keep\": [true]}}"}]}"#).unwrap();
    let record = |i: usize, keep: bool, pad: usize| {
        let body = format!("{{\\\"keep\\\": {keep}, \\\"pad\\\": \\\"{}\\\"}}", "x".repeat(pad));
        format!("{{\"messageId\": \"{i}\", \"body\": \"{body}\"}}\n")
    };
    let mut lines = String::new();
    let pads = [10, 5 << 19, 20, (1 << 20) - 40, 7, 3 << 20, 1 << 20, 0];
    for (i, &pad) in pads.iter().enumerate() {
        lines.push_str(&record(i, i % 3 != 1, pad));
    }
    let expected: Vec<&str> = lines.lines().enumerate().filter(|(i, _)| i % 3 != 1).map(|(_, l)| l).collect();
    let plain = dir.join("records.jsonl");
    std::fs::write(&plain, &lines).unwrap();
    let gz = dir.join("records.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(lines.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    for input in [&plain, &gz] {
        let out = run(&[
            "filter",
            "--source",
            "sqs",
            "--criteria",
            criteria.to_str().unwrap(),
            input.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out).lines().collect::<Vec<_>>(), expected, "{}", input.display());
    }
}

#[test]
fn filter_streams_records_as_they_come() {
    use std::io::BufRead;
    let dir = temp_dir("stream");
    let criteria = dir.join("c.json");
    std::fs::write(&criteria, r#"{"Filters": [{"Pattern": "{\"body\": {\"code\": [\"B\"]}}"}]}"#).unwrap();
    let mut child = bin()
        .args(["filter", "--source", "sqs", "--criteria", criteria.to_str().unwrap(), "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    // The first record is printed while the input is still open.
    stdin.write_all(b"{\"messageId\": \"1\", \"body\": \"{\\\"code\\\": \\\"B\\\"}\"}\n").unwrap();
    stdin.flush().unwrap();
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("\"messageId\": \"1\""), "{line}");
    stdin.write_all(b"{\"messageId\": \"2\", \"body\": \"{\\\"code\\\": \\\"B\\\"}\"}\n").unwrap();
    drop(stdin);
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("\"messageId\": \"2\""), "{line}");
    assert!(child.wait().unwrap().success());
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout(&out).contains("explain"), "{shell}");
    }
    let help = run(&["check", "--help"]);
    assert!(stdout(&help).contains("Examples:"));
}
