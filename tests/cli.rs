//! The command-line contract: `check` exit codes and diagnostics, `match` output per line.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eventsift"))
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventsift-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data").join(name)
}

#[test]
fn check_valid_invalid_and_unreadable() {
    let ok = bin().arg("check").arg(example("ec2-running-large.json")).output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));

    let bad = temp_file("bad.json", "{\n  \"detail\": {\n    \"state\": []\n  }\n}\n");
    let out = bin().arg("check").arg(example("ec2-running-large.json")).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("error[EmptyArray]: Empty arrays are not allowed"), "{stderr}");
    assert!(stderr.contains(&format!("--> {}:3:14", bad.display())), "{stderr}");
    assert!(stderr.contains("3 |     \"state\": []\n  |              ^^"), "{stderr}");

    let missing = bin().args(["check", "/nonexistent/pattern.json"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let usage = bin().arg("check").output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let unknown = bin().arg("frobnicate").output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn check_applies_the_dialect() {
    let p = temp_file("wild.json", r#"{"a": [{"wildcard": "x*"}]}"#);
    assert_eq!(bin().arg("check").arg(&p).status().unwrap().code(), Some(0));
    let out = bin().args(["check", "--dialect", "LambdaEsm"]).arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wildcard is not supported in the LambdaEsm dialect"));
    assert_eq!(bin().args(["check", "--dialect", "nope"]).arg(&p).status().unwrap().code(), Some(2));
}

#[test]
fn match_prints_one_line_per_event_and_keeps_going() {
    let pattern = temp_file("p.json", r#"{"k": [{"prefix": "a"}]}"#);
    let mut child = bin().arg("match").arg(&pattern).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"k\": \"abc\"}\n{\"k\": \"xyz\"}\n{\"k\": \n\n[1]\r\n{\"k\": \"a\"}")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0], "true");
    assert_eq!(lines[1], "false");
    assert!(lines[2].starts_with("error: "), "{}", lines[2]);
    assert!(lines[3].starts_with("error: ") && lines[3].contains("not a JSON object"), "{}", lines[3]);
    assert_eq!(lines[4], "true");
}

#[test]
fn match_on_the_bundled_sample() {
    let out =
        bin().arg("match").arg(example("ec2-running-large.json")).arg(example("ec2-events.jsonl")).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 41);
    assert_eq!(text.lines().filter(|l| *l == "true").count(), 7);
    assert_eq!(text.lines().filter(|l| l.starts_with("error: ")).count(), 1);
}

#[test]
fn match_with_an_invalid_pattern_exits_1() {
    let pattern = temp_file("invalid.json", r#"{"k": "v"}"#);
    let out = bin().arg("match").arg(&pattern).arg(example("ec2-events.jsonl")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"k\" must be an object or an array"));
    let missing = bin().arg("match").arg(example("ec2-running-large.json")).arg("/nonexistent").output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn filter_a_bundled_dynamodb_batch() {
    let out = bin()
        .args(["filter", "--source", "dynamodb", "--criteria"])
        .arg(example("dynamodb-criteria.json"))
        .arg(example("dynamodb-batch.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let event: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> =
        event["Records"].as_array().unwrap().iter().map(|r| r["eventName"].as_str().unwrap()).collect();
    assert_eq!(names, ["INSERT", "MODIFY", "REMOVE", "INSERT", "MODIFY", "INSERT", "REMOVE"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.ends_with("kept 7, dropped 5\n"), "{stderr}");
    assert!(stderr.contains("dropped: record 1 (c4ca4238a0b923820dcc509a6f758492): no filter matched"), "{stderr}");
}

#[test]
fn filter_json_lines_of_records() {
    let criteria = temp_file("sqs-criteria.json", r#"{"Filters": [{"Pattern": "{\"body\": {\"code\": [\"B\"]}}"}]}"#);
    let mut child = bin()
        .args(["filter", "--source", "sqs", "--criteria"])
        .arg(&criteria)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = concat!(
        r#"{"messageId": "1", "body": "{\"code\": \"B\"}"}"#,
        "\n",
        r#"{"messageId": "2", "body": "{\"code\": \"A\"}"}"#,
        "\n\n",
        r#"{"messageId": "3", "body": "code B"}"#,
        "\n",
        "not json\n",
        r#"{"messageId": "5", "body": "{\"code\": [\"B\", \"C\"]}"}"#,
        "\n"
    );
    child.stdin.take().unwrap().write_all(lines.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let kept: Vec<&str> = stdout.lines().collect();
    assert_eq!(kept, [lines.lines().next().unwrap(), lines.lines().nth(5).unwrap()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("dropped: line 5: invalid record"), "{stderr}");
    assert!(stderr.ends_with("kept 2, dropped 3\n"), "{stderr}");
}

#[test]
fn filter_usage_and_criteria_errors() {
    let criteria = temp_file("bad-criteria.json", "{\"Filters\": [{\"Pattern\": \"{\\\"a\\\": []}\"}]}");
    assert_eq!(bin().args(["filter", "--source", "sqs"]).status().unwrap().code(), Some(2));
    assert_eq!(bin().args(["filter", "--criteria"]).arg(&criteria).status().unwrap().code(), Some(2));
    assert_eq!(
        bin().args(["filter", "--source", "nope", "--criteria"]).arg(&criteria).status().unwrap().code(),
        Some(2)
    );
    let out = bin().args(["filter", "--source", "sqs", "--criteria"]).arg(&criteria).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(":1:35: filter 0: Empty arrays are not allowed"), "{stderr}");
    // A broken batch is an error, not an empty result.
    let good = temp_file("good-criteria.json", r#"{"Filters": [{"Pattern": "{\"a\": [1]}"}]}"#);
    let broken = temp_file("broken-batch.json", r#"{"Records": [{"a": 1}"#);
    let out =
        bin().args(["filter", "--batch", "--source", "raw", "--criteria"]).arg(&good).arg(&broken).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn check_lints_filter_criteria() {
    let criteria = temp_file(
        "lint-criteria.json",
        "{\"Filters\": [\n  {\"Pattern\": \"{\\\"dynamodb\\\": {\\\"NewImage\\\": {\\\"qty\\\": {\\\"N\\\": [{\\\"numeric\\\": [\\\">\\\", 5]}]}}}}\"}\n]}",
    );
    let out = bin().args(["check", "--source", "dynamodb"]).arg(&criteria).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("warning[numeric-on-dynamodb-number]: a numeric range"), "{stderr}");
    assert!(stderr.contains("lint-criteria.json:2:65"), "{stderr}");
    assert!(stderr.contains("= help: match the number's text"), "{stderr}");
    let denied = bin().args(["check", "--deny-warnings"]).arg(&criteria).output().unwrap();
    assert_eq!(denied.status.code(), Some(1));
    let clean = bin().arg("check").arg(example("dynamodb-criteria.json")).output().unwrap();
    assert_eq!(clean.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&clean.stderr);
    assert_eq!(stderr, "checked 4 filters in 1 file: 0 errors, 0 warnings, 0 notes\n");
}
