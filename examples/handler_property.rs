//! A property test a Lambda author writes with eventsift's public strategies: "my handler only
//! ever sees records my filter accepts, and sees every one of them".
//!
//! ```sh
//! cargo run --example handler_property --features proptest
//! ```
//!
//! The handler below pre-filters a batch itself (a common pattern when the same code also runs
//! outside Lambda); the property checks it against the FilterCriteria of the event-source mapping,
//! on DynamoDB records generated to pass and to fail the filters.

use eventsift::lambda::Filter;
use eventsift::strategy::records::{accepted_records, dropped_records};
use eventsift::Source;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CRITERIA: &str = r#"{"Filters": [
  {"Pattern": "{\"eventName\": [\"INSERT\"], \"dynamodb\": {\"NewImage\": {\"status\": {\"S\": [\"PENDING\"]}}}}"},
  {"Pattern": "{\"eventName\": [\"MODIFY\"], \"dynamodb\": {\"NewImage\": {\"total\": {\"N\": [{\"prefix\": \"1\"}]}}}}"}
]}"#;

/// The handler's own notion of which records it processes.
fn handler_wants(record: &serde_json::Value) -> bool {
    let image = &record["dynamodb"]["NewImage"];
    match record["eventName"].as_str() {
        Some("INSERT") => image["status"]["S"] == "PENDING",
        Some("MODIFY") => image["total"]["N"].as_str().is_some_and(|n| n.starts_with('1')),
        _ => false,
    }
}

fn main() {
    let filter = Filter::new(CRITERIA, Source::DynamoDb).expect("valid criteria");
    let patterns = filter.patterns().to_vec();
    let wants = |text: &str| handler_wants(&serde_json::from_str(text).unwrap());

    // Records Lambda would deliver: the handler must want them.
    let mut runner = TestRunner::new(Config { cases: 500, failure_persistence: None, ..Config::default() });
    let accepted = runner.run(&accepted_records(&patterns, Source::DynamoDb), |record| {
        prop_assert!(filter.matches(&record).unwrap());
        prop_assert!(wants(&record), "the handler ignores a record Lambda delivers:\n{record}");
        Ok(())
    });
    // Records Lambda would drop: the handler never sees them, and would not want them.
    let mut runner = TestRunner::new(Config { cases: 500, failure_persistence: None, ..Config::default() });
    let dropped = runner.run(&dropped_records(&patterns, Source::DynamoDb), |record| {
        prop_assert!(!filter.matches(&record).unwrap());
        prop_assert!(!wants(&record), "the handler wants a record Lambda drops:\n{record}");
        Ok(())
    });
    match (accepted, dropped) {
        (Ok(()), Ok(())) => println!("the handler agrees with the filter on 1,000 generated records"),
        (a, d) => {
            // Proptest shrinks a failure to a small record before reporting it.
            for failure in [a.err(), d.err()].into_iter().flatten() {
                println!("{failure}");
            }
            std::process::exit(1);
        }
    }
}
