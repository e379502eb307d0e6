//! The public record strategies against the Lambda layer: records built to be accepted by a
//! FilterCriteria are delivered by `Filter`, records built to be dropped are not, for every source.
#![cfg(feature = "proptest")]

use eventsift::lambda::Filter;
use eventsift::strategy::{self, records};
use eventsift::{Dialect, Pattern, Source};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

static CHECKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

fn check_source(source: Source) {
    let mut runner = TestRunner::new(Config { cases: cases(), ..Config::default() });
    let filters = prop::collection::vec(strategy::patterns_in(Dialect::LambdaEsm), 1..4);
    runner
        .run(&filters, |texts| {
            let patterns: Vec<Pattern> =
                texts.iter().map(|t| Pattern::builder().dialect(Dialect::LambdaEsm).build(t).unwrap()).collect();
            let Ok(filter) = Filter::builder(source).build_patterns(texts.iter().cloned()) else {
                // A plain-string condition on Kinesis `data` or on `dynamodb` is rejected by design.
                return Ok(());
            };
            // A fresh runner per strategy: a runner counts cases across `run` calls.
            let runner = || TestRunner::new(Config { cases: 4, ..Config::default() });
            CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (Some(accepted), Some(dropped)) =
                (records::try_accepted_records(&patterns, source), records::try_dropped_records(&patterns, source))
            else {
                return Ok(()); // unsatisfiable or tautological filters
            };
            runner().run(&accepted, |r| {
                prop_assert!(
                    filter.matches(&r).unwrap(),
                    "{source}: accepted record dropped\nfilters: {texts:?}\nrecord: {r}"
                );
                Ok(())
            })?;
            runner().run(&dropped, |r| {
                prop_assert!(
                    !filter.matches(&r).unwrap(),
                    "{source}: dropped record kept\nfilters: {texts:?}\nrecord: {r}"
                );
                Ok(())
            })?;
            Ok(())
        })
        .unwrap();
    assert!(CHECKED.load(std::sync::atomic::Ordering::Relaxed) > 0);
}

#[test]
fn dynamodb_records() {
    check_source(Source::DynamoDb);
}

#[test]
fn kinesis_records() {
    check_source(Source::Kinesis);
}

#[test]
fn sqs_records() {
    check_source(Source::Sqs);
}

#[test]
fn kafka_records() {
    check_source(Source::Kafka);
}

#[test]
fn mq_records() {
    check_source(Source::Mq);
}
