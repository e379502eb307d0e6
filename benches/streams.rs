//! The stream consumer's CPU cost per record: converting a record as the SDK returns it
//! (`GetRecords` output types) to the Lambda record format, with and without the FilterCriteria
//! applied, for DynamoDB Streams and Kinesis. Records are built in-process with the SDK's own
//! builders, so no emulator is needed. Kept counts are asserted before anything is timed.
//!
//! `cargo bench --features streams --bench streams`; the ratio of `convert+filter` to `convert`
//! is what filtering adds to conversion (BENCHMARKS.md). Before criterion's groups, the ratio is
//! also measured in 21 interleaved rounds and its median printed (`cargo bench --features streams
//! --bench streams -- ratio-only` prints just that: no group is named so).

use std::collections::HashMap;
use std::hint::black_box;

use aws_sdk_dynamodbstreams::primitives::DateTime;
use aws_sdk_dynamodbstreams::types::{AttributeValue, OperationType, Record, StreamRecord, StreamViewType};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use eventsift::lambda::{Filter, Scratch};
use eventsift::streams::convert;
use eventsift::Source;

#[path = "streams_criteria/mod.rs"]
mod streams_criteria;
use streams_criteria::{criteria, DYNAMODB_FILTERS, KINESIS_FILTERS};

const N: usize = 10_000;
const ARN: &str = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-23T00:00:00.000";
const KINESIS_ARN: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";

/// A DynamoDB stream record as `GetRecords` returns it (about 500 bytes as Lambda JSON).
fn dynamodb(i: u64) -> Record {
    let name = [
        OperationType::Insert,
        OperationType::Modify,
        OperationType::Remove,
        OperationType::Modify,
        OperationType::Insert,
    ][(i % 5) as usize]
        .clone();
    let status = ["PENDING", "SHIPPED", "DRAFT", "DELIVERED", "CANCELLED", "PENDING"][(i % 6) as usize];
    let carrier = ["DHL Express", "UPS", "FedEx", "DHL Parcel"][(i % 4) as usize];
    let region = ["eu-west-1", "us-east-1", "eu-central-1", "ap-south-1", "us-west-2"][(i % 5) as usize];
    let tier = ["gold", "silver", "Gold", "bronze", "GOLD", "basic", "platinum"][(i % 7) as usize];
    let image: HashMap<String, AttributeValue> = [
        ("orderId", AttributeValue::S(format!("order-{i}"))),
        ("status", AttributeValue::S(status.into())),
        ("carrier", AttributeValue::S(carrier.into())),
        ("region", AttributeValue::S(region.into())),
        ("tier", AttributeValue::S(tier.into())),
        ("priority", AttributeValue::Bool(i.is_multiple_of(11))),
        ("total", AttributeValue::N(format!("{}.{}", i % 1000, i % 100))),
        ("lines", AttributeValue::L(vec![AttributeValue::S("sku-1".into()), AttributeValue::N((i % 9).to_string())])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut stream = StreamRecord::builder()
        .approximate_creation_date_time(DateTime::from_secs(1_700_000_000 + i as i64))
        .keys("orderId", AttributeValue::S(format!("order-{i}")))
        .sequence_number((100_000_000_000_000_000_000u128 + i as u128).to_string())
        .size_bytes(200 + (i % 50) as i64)
        .stream_view_type(StreamViewType::NewImage);
    let removed = name == OperationType::Remove;
    if !removed {
        stream = stream.set_new_image(Some(image));
    }
    let mut record = Record::builder()
        .event_id(format!("{i:016x}"))
        .event_name(name)
        .event_version("1.1")
        .event_source("aws:dynamodb")
        .aws_region("eu-west-1")
        .dynamodb(stream.build());
    if removed && i.is_multiple_of(3) {
        record = record.user_identity(
            aws_sdk_dynamodbstreams::types::Identity::builder()
                .r#type("Service")
                .principal_id(convert::TTL_PRINCIPAL)
                .build(),
        );
    }
    record.build()
}

/// A Kinesis record as `GetRecords` returns it: JSON data (about 150 bytes).
fn kinesis(i: u64) -> aws_sdk_kinesis::types::Record {
    let data = serde_json::json!({
        "order": {"id": i, "type": if i.is_multiple_of(3) { "buy" } else { "sell" }},
        "qty": i * 7 % 50,
        "device": format!("sensor-{}", i % 20),
        "ts": 1_700_000_000_000u64 + i,
    })
    .to_string();
    aws_sdk_kinesis::types::Record::builder()
        .sequence_number((49_590_338_271_490_256_608_559_692_538_361_571_095u128 + i as u128).to_string())
        .partition_key(if i.is_multiple_of(13) { "hot".to_string() } else { format!("pk-{i}") })
        .data(aws_sdk_kinesis::primitives::Blob::new(data))
        .approximate_arrival_timestamp(aws_sdk_kinesis::primitives::DateTime::from_millis(1_700_000_000_000 + i as i64))
        .build()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let ddb: Vec<Record> = (0..N as u64).map(dynamodb).collect();
    let kds: Vec<aws_sdk_kinesis::types::Record> = (0..N as u64).map(kinesis).collect();
    let ddb_filter = Filter::new(&criteria(&DYNAMODB_FILTERS), Source::DynamoDb).unwrap();
    let kds_filter = Filter::new(&criteria(&KINESIS_FILTERS), Source::Kinesis).unwrap();

    // Kept counts, checked against filter_batch on the same converted records and against
    // counts derived from the generators.
    let converted: Vec<String> = ddb.iter().map(|r| convert::dynamodb_record(r, ARN, "eu-west-1")).collect();
    let mut scratch = Scratch::default();
    let kept = converted.iter().filter(|r| ddb_filter.evaluate(r, &mut scratch).unwrap().keep).count();
    let batch = ddb_filter.filter_batch(&format!("{{\"Records\": [{}]}}", converted.join(","))).unwrap();
    assert_eq!(kept, batch.kept);
    assert!(kept > N / 10 && kept < N, "DynamoDB kept {kept}");
    let ttl_deletes = (0..N as u64).filter(|i| i % 5 == 2 && i.is_multiple_of(3)).count();
    assert!(kept >= ttl_deletes);
    let converted: Vec<String> =
        kds.iter().map(|r| convert::kinesis_record(r, "shardId-000000000001", KINESIS_ARN, "eu-west-1")).collect();
    let kept_k = converted.iter().filter(|r| kds_filter.evaluate(r, &mut scratch).unwrap().keep).count();
    let expected_k = (0..N as u64)
        .filter(|i| {
            (i.is_multiple_of(3) && i * 7 % 50 > 40)
                || (i % 20 == 1 || (10..20).contains(&(i % 20)))
                || i.is_multiple_of(13)
        })
        .count();
    assert_eq!(kept_k, expected_k);
    assert_eq!(kds_filter.filter_batch(&format!("{{\"Records\": [{}]}}", converted.join(","))).unwrap().kept, kept_k);
    let kept_bytes = kds
        .iter()
        .zip(&converted)
        .filter(|(r, j)| kds_filter.evaluate_decoded(j, r.data().as_ref(), &mut scratch).unwrap().keep)
        .count();
    assert_eq!(kept_bytes, kept_k);
    let kept_typed = kds
        .iter()
        .filter(|r| {
            let id = format!("shardId-000000000001:{}", r.sequence_number());
            let fields = convert::kinesis_fields(r, &id, KINESIS_ARN, "eu-west-1");
            kds_filter.evaluate_kinesis(&fields, &mut scratch).unwrap().keep
        })
        .count();
    assert_eq!(kept_typed, kept_k);
    eprintln!("DynamoDB: {kept} of {N} kept; Kinesis: {kept_k} of {N} kept");

    // The ratio measured interleaved, round by round, so that a machine whose load changes
    // (shared cores) affects both sides alike: the median of 21 rounds.
    let ratio = |name: &str, convert: &dyn Fn() -> usize, filter: &dyn Fn() -> usize| {
        let mut rounds = Vec::new();
        for _ in 0..21 {
            let t = std::time::Instant::now();
            black_box(convert());
            let a = t.elapsed().as_secs_f64();
            let t = std::time::Instant::now();
            black_box(filter());
            let b = t.elapsed().as_secs_f64();
            rounds.push((b / a, a, b));
        }
        rounds.sort_by(|x, y| x.0.total_cmp(&y.0));
        let (r, a, b) = rounds[10];
        eprintln!(
            "{name}: convert+filter / convert = {r:.2} (median of 21 interleaved rounds; that round {:.2} µs and {:.2} µs per record)",
            a * 1e6 / N as f64,
            b * 1e6 / N as f64
        );
    };
    ratio(
        "streams/dynamodb",
        &|| ddb.iter().map(|r| convert::dynamodb_record(r, ARN, "eu-west-1").len()).sum(),
        &|| ddb.iter().filter(|r| ddb_filter.matches(&convert::dynamodb_record(r, ARN, "eu-west-1")).unwrap()).count(),
    );
    ratio(
        "streams/kinesis",
        &|| {
            kds.iter().map(|r| convert::kinesis_record(r, "shardId-000000000001", KINESIS_ARN, "eu-west-1").len()).sum()
        },
        &|| {
            kds.iter()
                .filter(|r| {
                    kds_filter
                        .matches(&convert::kinesis_record(r, "shardId-000000000001", KINESIS_ARN, "eu-west-1"))
                        .unwrap()
                })
                .count()
        },
    );
    // Before the typed path: the filter given the data bytes read, on the converted record
    // (`Filter::evaluate_decoded`, which also reports every matching filter).
    ratio(
        "streams/kinesis, data from the bytes read",
        &|| {
            kds.iter().map(|r| convert::kinesis_record(r, "shardId-000000000001", KINESIS_ARN, "eu-west-1").len()).sum()
        },
        &|| {
            let mut scratch = Scratch::default();
            kds.iter()
                .filter(|r| {
                    let json = convert::kinesis_record(r, "shardId-000000000001", KINESIS_ARN, "eu-west-1");
                    kds_filter.evaluate_decoded(&json, r.data().as_ref(), &mut scratch).unwrap().keep
                })
                .count()
        },
    );
    // The consumer's own path: decided on the record's fields and data bytes
    // (`Filter::evaluate_kinesis`), the Lambda record written only when kept.
    ratio(
        "streams/kinesis, typed (the consumer's path)",
        &|| {
            kds.iter().map(|r| convert::kinesis_record(r, "shardId-000000000001", KINESIS_ARN, "eu-west-1").len()).sum()
        },
        &|| {
            let mut scratch = Scratch::default();
            kds.iter()
                .filter(|r| {
                    let id = format!("shardId-000000000001:{}", r.sequence_number());
                    let fields = convert::kinesis_fields(r, &id, KINESIS_ARN, "eu-west-1");
                    let keep = kds_filter.evaluate_kinesis(&fields, &mut scratch).unwrap().keep;
                    keep && !black_box(fields.to_json()).is_empty()
                })
                .count()
        },
    );

    let mut group = c.benchmark_group("streams/dynamodb");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("convert", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for r in &ddb {
                bytes += black_box(convert::dynamodb_record(r, ARN, "eu-west-1")).len();
            }
            bytes
        })
    });
    // The consumer decides with the first matching filter, as `Filter::matches` does.
    group.bench_function("convert+filter", |b| {
        b.iter(|| {
            let mut kept = 0;
            for r in &ddb {
                let json = convert::dynamodb_record(r, ARN, "eu-west-1");
                kept += usize::from(ddb_filter.matches(&json).unwrap());
            }
            assert_eq!(kept, batch.kept);
            kept
        })
    });
    group.finish();

    let mut group = c.benchmark_group("streams/kinesis");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("convert", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for r in &kds {
                bytes += black_box(convert::kinesis_record(r, "shardId-000000000001", KINESIS_ARN, "eu-west-1")).len();
            }
            bytes
        })
    });
    group.bench_function("convert+filter", |b| {
        b.iter(|| {
            let mut kept = 0;
            for r in &kds {
                let json = convert::kinesis_record(r, "shardId-000000000001", KINESIS_ARN, "eu-west-1");
                kept += usize::from(kds_filter.matches(&json).unwrap());
            }
            assert_eq!(kept, kept_k);
            kept
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
