//! The FilterCriteria of the stream-consumer benchmarks, shared by `benches/streams.rs` (in-process
//! conversion) and `benches/streams_emulator.rs` (the consumer against moto's server).

#![allow(dead_code)]

/// Five DynamoDB filters: `eventName`, `S` values, `prefix`, `BOOL`, `equals-ignore-case`, and
/// the documented TTL-delete filter on `userIdentity`.
pub const DYNAMODB_FILTERS: [&str; 5] = [
    r#"{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["PENDING"]}}}}"#,
    r#"{"eventName": ["MODIFY"], "dynamodb": {"NewImage": {"status": {"S": ["SHIPPED"]}, "carrier": {"S": [{"prefix": "DHL"}]}}}}"#,
    r#"{"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"priority": {"BOOL": [true]}}}}"#,
    r#"{"dynamodb": {"NewImage": {"region": {"S": ["eu-west-1", "eu-central-1"]}, "tier": {"S": [{"equals-ignore-case": "GOLD"}]}}}}"#,
    r#"{"eventName": ["REMOVE"], "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}"#,
];

/// Three Kinesis filters: `numeric` and `prefix` inside the decoded `data`, and `partitionKey`.
pub const KINESIS_FILTERS: [&str; 3] = [
    r#"{"data": {"order": {"type": ["buy"]}, "qty": [{"numeric": [">", 40]}]}}"#,
    r#"{"data": {"device": [{"prefix": "sensor-1"}]}}"#,
    r#"{"partitionKey": ["hot"]}"#,
];

/// A FilterCriteria document with these patterns.
pub fn criteria(patterns: &[&str]) -> String {
    let filters: Vec<String> = patterns.iter().map(|p| format!("{{\"Pattern\": {}}}", serde_json::json!(p))).collect();
    format!("{{\"Filters\": [{}]}}", filters.join(", "))
}
