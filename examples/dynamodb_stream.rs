//! A DynamoDB Streams consumer that filters its batches exactly as a Lambda event-source mapping
//! with the same FilterCriteria would, then hands the kept records to its handler.
//!
//! ```sh
//! cargo run --release --example dynamodb_stream
//! cargo run --release --example dynamodb_stream -- CRITERIA.json BATCH.json
//! ```
//!
//! The bundled batch (`examples/data/dynamodb-batch.json`) holds INSERT, MODIFY and REMOVE records of
//! a `NEW_AND_OLD_IMAGES` stream, two of the REMOVEs being TTL expiries; the bundled criteria
//! (`examples/data/dynamodb-criteria.json`) keep new pending orders, orders that became SHIPPED,
//! TTL deletes and priority orders.

use std::process::ExitCode;

use eventsift::lambda::{DropReason, Filter};
use eventsift::Source;

/// What the consumer does with each record Lambda would have delivered.
fn handle(record: &serde_json::Value) {
    let name = record["eventName"].as_str().unwrap_or("?");
    let image = if name == "REMOVE" { "OldImage" } else { "NewImage" };
    let order = &record["dynamodb"][image];
    let id = record["dynamodb"]["Keys"]["orderId"]["S"].as_str().unwrap_or("?");
    let status = order["status"]["S"].as_str().unwrap_or("-");
    let ttl = if record["userIdentity"]["principalId"] == "dynamodb.amazonaws.com" { " (TTL expiry)" } else { "" };
    println!("  handle {name:<6} order {id:<4} status {status}{ttl}");
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data");
    let (criteria_path, batch_path) = match args.as_slice() {
        [] => (format!("{dir}/dynamodb-criteria.json"), format!("{dir}/dynamodb-batch.json")),
        [c, b] => (c.clone(), b.clone()),
        _ => {
            eprintln!("usage: dynamodb_stream [CRITERIA.json BATCH.json]");
            return ExitCode::from(2);
        }
    };
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| eprintln!("cannot read {path}: {e}"));
    let (Ok(criteria), Ok(batch)) = (read(&criteria_path), read(&batch_path)) else { return ExitCode::from(2) };

    let filter = match Filter::new(&criteria, Source::DynamoDb) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{criteria_path}:{e:#}");
            return ExitCode::from(1);
        }
    };
    for lint in filter.lints() {
        eprintln!("{criteria_path}:{lint}");
    }

    let outcome = match filter.filter_batch(&batch) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{batch_path}:{e:#}");
            return ExitCode::from(1);
        }
    };
    println!("{} records in, {} kept, {} dropped", outcome.total(), outcome.kept, outcome.dropped.len());
    if outcome.invokes() {
        // The filtered event is what the function would receive: parse it as the handler would.
        let event: serde_json::Value = serde_json::from_str(&outcome.event).expect("kept records are valid JSON");
        for record in event["Records"].as_array().into_iter().flatten() {
            handle(record);
        }
    } else {
        println!("  (no record passes: Lambda would not invoke the function)");
    }
    for d in &outcome.dropped {
        let why = match &d.reason {
            DropReason::NoMatch { .. } => "no filter matched".to_string(),
            DropReason::Invalid(e) => format!("invalid record: {e}"),
            _ => "dropped".to_string(),
        };
        println!("  drop   record {} ({}): {why}", d.index, d.id.as_deref().unwrap_or("no id"));
    }
    ExitCode::SUCCESS
}
