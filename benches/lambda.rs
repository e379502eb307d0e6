//! Lambda-layer benchmarks: filtering DynamoDB Streams batches (records of about 500 bytes, five
//! filters on `eventName` and `NewImage` fields), SQS batches with JSON bodies and Kafka records
//! whose `value` is base64 of JSON. Kept counts are asserted against the reference matcher, record
//! by record, before anything is timed.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use eventsift::lambda::{BatchOutcome, BatchScratch, Filter};
use eventsift::{reference, Pattern, Source};

const DYNAMODB_FILTERS: [&str; 5] = [
    r#"{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["PENDING"]}}}}"#,
    r#"{"eventName": ["MODIFY"], "dynamodb": {"NewImage": {"status": {"S": ["SHIPPED"]}, "carrier": {"S": [{"prefix": "DHL"}]}}}}"#,
    r#"{"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"priority": {"BOOL": [true]}}}}"#,
    r#"{"dynamodb": {"NewImage": {"region": {"S": ["eu-west-1", "eu-central-1"]}, "tier": {"S": [{"equals-ignore-case": "GOLD"}]}}}}"#,
    r#"{"eventName": ["REMOVE"], "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]}}"#,
];

/// A deterministic DynamoDB record of about 500 bytes.
fn dynamodb_record(i: u64) -> String {
    let name = ["INSERT", "MODIFY", "REMOVE", "MODIFY", "INSERT"][(i % 5) as usize];
    let status = ["PENDING", "SHIPPED", "DRAFT", "DELIVERED", "CANCELLED", "PENDING"][(i % 6) as usize];
    let carrier = ["DHL Express", "UPS", "FedEx", "DHL Parcel"][(i % 4) as usize];
    let region = ["eu-west-1", "us-east-1", "eu-central-1", "ap-south-1", "us-west-2"][(i % 5) as usize];
    let tier = ["gold", "silver", "Gold", "bronze", "GOLD", "basic", "platinum"][(i % 7) as usize];
    let priority = i.is_multiple_of(11);
    let ttl = if name == "REMOVE" && i.is_multiple_of(3) {
        r#","userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"}"#
    } else {
        ""
    };
    format!(
        r#"{{"eventID":"{i:016x}","eventName":"{name}","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","dynamodb":{{"ApproximateCreationDateTime":{ts},"Keys":{{"orderId":{{"S":"order-{i}"}}}},"NewImage":{{"status":{{"S":"{status}"}},"carrier":{{"S":"{carrier}"}},"region":{{"S":"{region}"}},"tier":{{"S":"{tier}"}},"priority":{{"BOOL":{priority}}}}},"SequenceNumber":"{seq}","SizeBytes":{size},"StreamViewType":"NEW_IMAGE"}},"eventSourceARN":"arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-23T00:00:00.000"{ttl}}}"#,
        ts = 1_700_000_000 + i,
        seq = 100_000_000_000_000_000_000u128 + i as u128,
        size = 200 + i % 50,
    )
}

fn criteria(patterns: &[&str]) -> String {
    let filters: Vec<String> = patterns.iter().map(|p| format!("{{\"Pattern\": {}}}", serde_json::json!(p))).collect();
    format!("{{\"Filters\": [{}]}}", filters.join(", "))
}

fn batch(records: &[String]) -> String {
    format!("{{\"Records\": [{}]}}", records.join(","))
}

/// Standard base64 with padding (the form Lambda delivers Kafka values and Kinesis data in).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]) } else { '=' });
        }
    }
    out
}

/// Kept records by the reference matcher on each record's filter view (OR over the filters).
fn reference_kept(patterns: &[Pattern], views: &[String]) -> usize {
    views.iter().filter(|v| patterns.iter().any(|p| reference::matches(p, v).unwrap())).count()
}

fn bench(c: &mut Criterion) {
    const N: u64 = 1000;
    let records: Vec<String> = (0..N).map(dynamodb_record).collect();
    let mean = records.iter().map(String::len).sum::<usize>() / records.len();
    assert!((450..=600).contains(&mean), "records average {mean} bytes");
    let event = batch(&records);
    let filter = Filter::new(&criteria(&DYNAMODB_FILTERS), Source::DynamoDb).unwrap();
    let patterns: Vec<Pattern> = filter.patterns().to_vec();
    let expected = reference_kept(&patterns, &records);
    let outcome = filter.filter_batch(&event).unwrap();
    assert_eq!(outcome.kept, expected, "kept records differ from the reference");
    assert!(expected > 100 && expected < 900, "a meaningful mix: {expected} of {N} kept");
    eprintln!("dynamodb: {N} records of {mean} bytes on average, {expected} kept");

    let mut group = c.benchmark_group("lambda/dynamodb-batch");
    group.throughput(Throughput::Elements(N));
    let mut scratch = BatchScratch::default();
    let mut out = BatchOutcome::default();
    group.bench_function("filter_batch_into", |b| {
        b.iter(|| {
            filter.filter_batch_into(std::hint::black_box(&event), &mut scratch, &mut out).unwrap();
            out.kept
        })
    });
    group.bench_function("matches per record", |b| {
        b.iter(|| records.iter().filter(|r| filter.matches(std::hint::black_box(r)).unwrap()).count())
    });
    group.finish();

    // SQS with JSON bodies: the body is unescaped, checked and spliced into the view per record.
    let sqs_filters = [r#"{"body": {"RequestCode": ["BBBB"], "RecordNumber": [{"numeric": [">", 9999]}]}}"#];
    let sqs_records: Vec<String> = (0..N)
        .map(|i| {
            let body = format!(
                r#"{{"RequestCode": "{}", "RecordNumber": {}, "note": "order {i} of the day"}}"#,
                ["AAAA", "BBBB", "CCCC"][(i % 3) as usize],
                i * 37
            );
            format!(
                r#"{{"messageId":"m-{i}","receiptHandle":"AQEB{i:x}","body":{},"attributes":{{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183"}},"messageAttributes":{{}},"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:my-queue","awsRegion":"us-east-2"}}"#,
                serde_json::json!(body)
            )
        })
        .collect();
    let sqs = Filter::new(&criteria(&sqs_filters), Source::Sqs).unwrap();
    let sqs_views: Vec<String> = sqs_records
        .iter()
        .map(|r| {
            let mut v: serde_json::Value = serde_json::from_str(r).unwrap();
            let body: serde_json::Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
            v["body"] = body;
            v.to_string()
        })
        .collect();
    let sqs_expected = reference_kept(sqs.patterns(), &sqs_views);
    let sqs_event = batch(&sqs_records);
    assert_eq!(sqs.filter_batch(&sqs_event).unwrap().kept, sqs_expected);
    assert!(sqs_expected > 10, "{sqs_expected}");
    let mut group = c.benchmark_group("lambda/sqs-json-body-batch");
    group.throughput(Throughput::Elements(N));
    group.bench_function("filter_batch_into", |b| {
        b.iter(|| {
            sqs.filter_batch_into(std::hint::black_box(&sqs_event), &mut scratch, &mut out).unwrap();
            out.kept
        })
    });
    group.finish();

    // Kafka: each record's `value` is base64 of a JSON object of about 300 bytes, decoded and
    // spliced into the view per record (the base64 decoder's hot path).
    let kafka_filters = [r#"{"value": {"RequestCode": ["BBBB"], "RecordNumber": [{"numeric": [">", 9999]}]}}"#];
    let kafka_values: Vec<String> = (0..N)
        .map(|i| {
            format!(
                r#"{{"RequestCode": "{}", "RecordNumber": {}, "note": "order {i} of the day", "customer": {{"id": "c-{}", "tier": "{}", "region": "eu-west-1"}}, "lines": [{{"sku": "SKU-{}", "qty": {}}}, {{"sku": "SKU-{}", "qty": 1}}], "total": {}.{:02}}}"#,
                ["AAAA", "BBBB", "CCCC"][(i % 3) as usize],
                i * 37,
                i * 7919 % 100_000,
                ["gold", "silver", "bronze"][(i % 3) as usize],
                i % 997,
                1 + i % 5,
                i % 131,
                i * 13 % 1000,
                i % 100
            )
        })
        .collect();
    let kafka_records: Vec<String> = kafka_values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                r#"{{"topic":"orders","partition":0,"offset":{i},"timestamp":1545084650987,"timestampType":"CREATE_TIME","key":"{}","value":"{}","headers":[]}}"#,
                base64(format!("key-{i}").as_bytes()),
                base64(v.as_bytes())
            )
        })
        .collect();
    let kafka = Filter::new(&criteria(&kafka_filters), Source::Kafka).unwrap();
    let kafka_views: Vec<String> = kafka_records
        .iter()
        .zip(&kafka_values)
        .map(|(r, value)| {
            let mut v: serde_json::Value = serde_json::from_str(r).unwrap();
            v["value"] = serde_json::from_str(value).unwrap();
            v.to_string()
        })
        .collect();
    let kafka_expected = reference_kept(kafka.patterns(), &kafka_views);
    let kafka_kept = kafka_records.iter().filter(|r| kafka.matches(r).unwrap()).count();
    assert_eq!(kafka_kept, kafka_expected, "kept Kafka records differ from the reference");
    assert!(kafka_expected > 10, "{kafka_expected}");
    let mean = kafka_records.iter().map(String::len).sum::<usize>() / kafka_records.len();
    eprintln!("kafka: {N} records of {mean} bytes on average, {kafka_expected} kept");
    let mut group = c.benchmark_group("lambda/kafka-base64-value");
    group.throughput(Throughput::Elements(N));
    group.bench_function("matches per record", |b| {
        b.iter(|| kafka_records.iter().filter(|r| kafka.matches(std::hint::black_box(r)).unwrap()).count())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
