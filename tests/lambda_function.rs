//! The Lambda function example (`examples/lambda_function.rs`, feature `lambda-example`): its SAM
//! template passes `eventsift check` and gives the mappings the criteria files the function
//! re-applies; its handler, driven with real-shaped invocation events
//! (`tests/data/lambda-invocations/`), routes exactly the expected records to exactly the expected
//! sub-handlers and returns the expected `batchItemFailures`, called directly, through
//! `lambda_runtime`'s types, and by `lambda_runtime::run` polling a stand-in Runtime API on loopback.
//!
//! The invocation events: `*-stream.json` hold what a shard holds (records the mappings drop
//! included), `dynamodb-orders.json` and `kinesis-payments.json` what Lambda delivers from them
//! (checked below with `Filter::filter_batch`), `dynamodb-failure.json` a batch with a record whose
//! sub-handler fails.

#[path = "../examples/lambda_function/handler.rs"]
mod handler;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, SystemTime};

use eventsift::lambda::{DropReason, Filter, DEFAULT_MAX_FILTERS};
use eventsift::{ErrorKind, Machine, Source};
use handler::{Function, Outcome, SubHandler, Unexpected, DYNAMODB_CRITERIA, KINESIS_CRITERIA, ROUTES};
use lambda_runtime::tower::ServiceExt as _;
use lambda_runtime::{service_fn, Context, LambdaEvent, Service as _};
use serde_json::{json, Value};

const EXAMPLE: &str = "examples/lambda_function";

fn text(name: &str) -> String {
    let path = format!("{}/tests/data/lambda-invocations/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn invocation(name: &str) -> Value {
    serde_json::from_str(&text(name)).unwrap()
}

fn records(event: &Value) -> &Vec<Value> {
    event["Records"].as_array().unwrap()
}

fn sequence_number(record: &Value) -> &str {
    record["dynamodb"]["SequenceNumber"].as_str().or(record["kinesis"]["sequenceNumber"].as_str()).unwrap()
}

/// The position in `event` of the record with this sequence number.
fn index(event: &Value, seq: &str) -> usize {
    records(event).iter().position(|r| sequence_number(r) == seq).unwrap_or_else(|| panic!("no record {seq}"))
}

fn indices(event: &Value, seqs: &[String]) -> Vec<usize> {
    seqs.iter().map(|s| index(event, s)).collect()
}

/// Each delivery as (record position, route, what the sub-handler said).
fn deliveries<'a>(event: &Value, out: &'a Outcome) -> Vec<(usize, &'a str, Result<&'a str, &'a str>)> {
    out.deliveries
        .iter()
        .map(|d| (index(event, &d.sequence_number), d.route.as_str(), d.result.as_deref().map_err(String::as_str)))
        .collect()
}

fn function() -> Function {
    Function::bundled().unwrap()
}

/// The bundled sub-handlers with `route`'s replaced by one that always fails.
fn failing(route: &'static str) -> Function {
    let handlers: Vec<(&str, SubHandler)> = handler::sub_handlers()
        .into_iter()
        .map(|(id, h)| -> (&str, SubHandler) {
            if id == route {
                (id, Box::new(|r: &handler::Routed<'_>| Err(format!("{} is down", r.route))))
            } else {
                (id, h)
            }
        })
        .collect();
    Function::new(DYNAMODB_CRITERIA, KINESIS_CRITERIA, ROUTES, handlers).unwrap()
}

#[test]
fn the_template_passes_eventsift_check() {
    let out = Command::new(env!("CARGO_BIN_EXE_eventsift"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["check", "--deny-warnings", &format!("{EXAMPLE}/template.yaml")])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "checked 5 filters in 1 file: 0 errors, 0 warnings, 0 notes\n");
    // Each mapping's filters were checked for its own source: a Kinesis filter read as a DynamoDB
    // one would be a `wrong-data-key` warning, failing the run above.
    let out = Command::new(env!("CARGO_BIN_EXE_eventsift"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--deny-warnings"])
        .args([format!("{EXAMPLE}/criteria-dynamodb.json"), format!("{EXAMPLE}/criteria-kinesis.json")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The template gives each mapping the criteria file the function applies, filter for filter.
#[test]
fn the_template_carries_the_criteria_files() {
    let template = std::fs::read_to_string(format!("{}/{EXAMPLE}/template.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let in_template: Vec<&str> =
        template.lines().filter_map(|l| l.trim().strip_prefix("- Pattern: '")?.strip_suffix('\'')).collect();
    let dynamodb = Filter::new(DYNAMODB_CRITERIA, Source::DynamoDb).unwrap();
    let kinesis = Filter::new(KINESIS_CRITERIA, Source::Kinesis).unwrap();
    let in_files: Vec<&str> = dynamodb.criteria().patterns().chain(kinesis.criteria().patterns()).collect();
    assert_eq!(in_template, in_files);
    assert_eq!(in_files.len(), 5);
}

/// The routes are more than a mapping's filters could be: the Orders table's alone would need 8.
#[test]
fn the_routes_are_more_than_a_mapping_allows() {
    let f = function();
    assert_eq!(f.route_count(), 11);
    assert!(f.lints().is_empty(), "{:?}", f.lints());
    let routes: serde_json::Map<String, Value> = serde_json::from_str(ROUTES).unwrap();
    let orders: Vec<String> = routes
        .values()
        .filter(|p| p.get("data").is_none())
        .map(|p| json!({ "Pattern": p.to_string() }).to_string())
        .collect();
    assert_eq!(orders.len(), 8);
    let e = Filter::new(&format!("{{\"Filters\": [{}]}}", orders.join(", ")), Source::DynamoDb).unwrap_err();
    assert_eq!((e.kind(), e.filter_index()), (ErrorKind::TooManyFilters, Some(DEFAULT_MAX_FILTERS)));
}

#[test]
fn dynamodb_records_are_routed_by_rule() {
    let event = invocation("dynamodb-orders.json");
    let out = function().handle(&event).unwrap();
    assert_eq!(
        deliveries(&event, &out),
        [
            (0, "order-placed", Ok("reserve stock for order o-101: 2 items")),
            (1, "order-placed", Ok("reserve stock for order o-102: 1 item")),
            (1, "priority-order", Ok("page fulfilment: priority order o-102")),
            (1, "vip-customer", Ok("tell the VIP desk: order o-102 from Ana Souza")),
            (1, "gift-order", Ok("print a gift card for order o-102: \"Happy birthday!\"")),
            (2, "order-shipped", Ok("email pat@example.com: order o-090 has shipped")),
            (4, "order-delivered", Ok("ask for a review of order o-085")),
            (5, "order-cancelled", Ok("refund order o-092: 42.50")),
            (6, "order-expired", Ok("archive expired order o-050 (DELIVERED)")),
        ]
    );
    // o-091 changed address only: kept by the mapping (a MODIFY of a non-draft), no route.
    assert_eq!(indices(&event, &out.unrouted), [3]);
    assert!(out.unexpected.is_empty() && out.failures.is_empty() && out.deferred.is_empty(), "{out:?}");
    assert_eq!(out.response(), json!({"batchItemFailures": []}));
}

/// The first record whose sub-handler fails is reported by its sequence number; the records after
/// it are left for Lambda to deliver again.
#[test]
fn a_failed_record_is_reported_and_the_rest_deferred() {
    let event = invocation("dynamodb-failure.json");
    let out = function().handle(&event).unwrap();
    assert_eq!(
        deliveries(&event, &out),
        [
            (0, "order-placed", Ok("reserve stock for order o-104: 1 item")),
            (1, "order-shipped", Err("order o-093 has no email address to notify")),
        ]
    );
    assert_eq!(indices(&event, &out.failures), [1]);
    assert_eq!(indices(&event, &out.deferred), [2, 3]);
    assert_eq!(out.response(), json!({"batchItemFailures": [{"itemIdentifier": "400000000000000012007"}]}));
}

/// A record with several routes stops at its first failing one.
#[test]
fn a_record_stops_at_its_first_failing_route() {
    let event = invocation("dynamodb-orders.json");
    let out = failing("vip-customer").handle(&event).unwrap();
    let routes: Vec<_> = deliveries(&event, &out).into_iter().map(|(i, route, r)| (i, route, r.is_ok())).collect();
    assert_eq!(
        routes,
        [(0, "order-placed", true), (1, "order-placed", true), (1, "priority-order", true), (1, "vip-customer", false)]
    );
    assert_eq!(out.deliveries[3].result, Err("vip-customer is down".to_string()));
    assert_eq!(indices(&event, &out.deferred), [2, 3, 4, 5, 6]);
    assert_eq!(
        out.response(),
        json!({"batchItemFailures": [{"itemIdentifier": sequence_number(&records(&event)[1])}]})
    );
}

/// `dynamodb-orders.json` and `kinesis-payments.json` are what Lambda delivers from the shards in
/// `*-stream.json` through the mappings' criteria.
#[test]
fn the_delivered_events_are_what_the_mappings_keep() {
    for (stream, delivered, criteria, source, dropped) in [
        ("dynamodb-stream.json", "dynamodb-orders.json", DYNAMODB_CRITERIA, Source::DynamoDb, vec![2, 5, 7]),
        ("kinesis-stream.json", "kinesis-payments.json", KINESIS_CRITERIA, Source::Kinesis, vec![1, 3]),
    ] {
        let out = Filter::new(criteria, source).unwrap().filter_batch(&text(stream)).unwrap();
        let kept: Value = serde_json::from_str(&out.event).unwrap();
        assert_eq!(kept, invocation(delivered), "{stream}");
        assert_eq!(out.dropped.iter().map(|d| d.index).collect::<Vec<_>>(), dropped, "{stream}");
        assert!(out.dropped.iter().all(|d| matches!(d.reason, DropReason::NoMatch { .. })), "{stream}");
    }
}

/// Given records its mapping drops (as if the deployed criteria differed from the files), the
/// function reports them and routes the rest as before.
#[test]
fn records_the_mapping_drops_are_reported_not_routed() {
    let why = "no filter of the mapping's FilterCriteria matches it";
    for (stream, delivered, expected) in [
        ("dynamodb-stream.json", "dynamodb-orders.json", vec![2, 5, 7]),
        ("kinesis-stream.json", "kinesis-payments.json", vec![1, 3]),
    ] {
        let event = invocation(stream);
        let out = function().handle(&event).unwrap();
        let unexpected: Vec<(usize, &str)> =
            out.unexpected.iter().map(|u| (index(&event, &u.sequence_number), u.reason.as_str())).collect();
        assert_eq!(unexpected, expected.iter().map(|&i| (i, why)).collect::<Vec<_>>(), "{stream}");
        let as_delivered = function().handle(&invocation(delivered)).unwrap();
        assert_eq!(out.deliveries, as_delivered.deliveries, "{stream}");
        assert_eq!(out.unrouted, as_delivered.unrouted, "{stream}");
        assert_eq!(out.response(), json!({"batchItemFailures": []}));
    }
}

#[test]
fn kinesis_records_are_routed_on_their_decoded_data() {
    let event = invocation("kinesis-payments.json");
    let out = function().handle(&event).unwrap();
    assert_eq!(
        deliveries(&event, &out),
        [
            (0, "payment-failed", Ok("retry payment pay-1 of order o-101 (card_declined)")),
            (2, "large-refund", Ok("fraud review of refund rf-2: 750 EUR on order o-077")),
            (3, "chargeback", Ok("open a dispute for chargeback cb-1 on order o-060")),
        ]
    );
    // rf-1 is a refund of 42.5: kept by the mapping, below the fraud-review threshold.
    assert_eq!(indices(&event, &out.unrouted), [1]);
    assert_eq!(out.response(), json!({"batchItemFailures": []}));
}

#[test]
fn a_failed_kinesis_record_is_reported_by_its_sequence_number() {
    let event = invocation("kinesis-payments.json");
    let out = failing("large-refund").handle(&event).unwrap();
    let routes: Vec<_> = deliveries(&event, &out).into_iter().map(|(i, route, r)| (i, route, r.is_ok())).collect();
    assert_eq!(routes, [(0, "payment-failed", true), (2, "large-refund", false)]);
    assert_eq!(indices(&event, &out.deferred), [3]);
    assert_eq!(
        out.response(),
        json!({"batchItemFailures": [{"itemIdentifier": "49659412537735521409385062837160091127430284943957114882"}]})
    );
}

/// The function matches routes against its own view of each record (Kinesis `data` decoded); it
/// must be the view Lambda's filters see: every route, compiled as a one-filter FilterCriteria,
/// keeps exactly the records the route matches, on every record of every invocation event.
#[test]
fn routes_see_records_as_lambda_filters_do() {
    let routes: serde_json::Map<String, Value> = serde_json::from_str(ROUTES).unwrap();
    let mut builder = Machine::builder();
    for (id, pattern) in &routes {
        builder.add(id.as_str(), &pattern.to_string()).unwrap();
    }
    let machine = builder.build();
    let mut scratch = machine.scratch();
    let mut matched = 0;
    for name in [
        "dynamodb-stream.json",
        "dynamodb-failure.json",
        "kinesis-stream.json",
        "dynamodb-orders.json",
        "kinesis-payments.json",
    ] {
        for record in records(&invocation(name)) {
            let source = if record.get("kinesis").is_some() { Source::Kinesis } else { Source::DynamoDb };
            let view = if source == Source::Kinesis { handler::kinesis_view(record) } else { record.clone() };
            let hits: Vec<String> = machine.matches_value(&view, &mut scratch).map(|id| id.to_string()).collect();
            for (id, pattern) in &routes {
                let criteria = json!({"Filters": [{"Pattern": pattern.to_string()}]}).to_string();
                let lambda = Filter::new(&criteria, source).unwrap().matches(&record.to_string()).unwrap();
                assert_eq!(hits.contains(id), lambda, "{name}: route {id} on record {}", sequence_number(record));
            }
            matched += hits.len();
        }
    }
    assert!(matched > 20, "{matched}");
}

#[test]
fn batches_the_function_cannot_take_are_errors() {
    let f = function();
    assert_eq!(
        f.handle(&json!({"records": {}})).unwrap_err(),
        "not a DynamoDB Streams or Kinesis invocation event: no \"Records\" array"
    );
    let sqs = json!({"Records": [{"messageId": "m-1", "eventSource": "aws:sqs", "body": "{}"}]});
    assert_eq!(
        f.handle(&sqs).unwrap_err(),
        "record 0: neither a DynamoDB Streams record nor a Kinesis record (eventSource \"aws:sqs\")"
    );
    let mut event = invocation("dynamodb-failure.json");
    event["Records"][2]["dynamodb"].as_object_mut().unwrap().remove("SequenceNumber");
    assert_eq!(f.handle(&event).unwrap_err(), "record 2: no sequence number to report it by");
    // An empty batch (Lambda does not send one, but a test console can).
    assert_eq!(f.handle(&json!({"Records": []})).unwrap(), Outcome::default());
    // A record that is not valid for its filter is reported, not routed.
    let odd = json!({"Records": [{"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": "1", "data": 5}}]});
    let out = f.handle(&odd).unwrap();
    assert_eq!(out.unexpected.len(), 1);
    assert!(out.deliveries.is_empty());
    let Unexpected { sequence_number, .. } = &out.unexpected[0];
    assert_eq!(sequence_number, "1");
}

#[test]
fn every_route_needs_a_sub_handler_and_every_sub_handler_a_route() {
    let mut handlers = handler::sub_handlers();
    handlers.retain(|(id, _)| *id != "chargeback");
    let e = Function::new(DYNAMODB_CRITERIA, KINESIS_CRITERIA, ROUTES, handlers).err().unwrap();
    assert_eq!(e, "routes.json: route \"chargeback\" has no sub-handler");
    let mut handlers = handler::sub_handlers();
    handlers.push(("backorder", Box::new(|_: &handler::Routed<'_>| Ok(String::new()))));
    let e = Function::new(DYNAMODB_CRITERIA, KINESIS_CRITERIA, ROUTES, handlers).err().unwrap();
    assert_eq!(e, "routes.json: no route for the sub-handler \"backorder\"");
}

/// The handler as `lambda_runtime` calls it: the payload deserialised from the invocation's JSON
/// text, wrapped in a `LambdaEvent` with its `Context`, through the same `service_fn` as `main`.
#[tokio::test]
async fn lambda_runtime_drives_the_handler() {
    let function = function();
    let function = &function;
    let mut service =
        service_fn(move |event: LambdaEvent<Value>| async move { handler::function_handler(function, event).await });
    for (name, expected) in [
        ("dynamodb-orders.json", json!({"batchItemFailures": []})),
        ("dynamodb-failure.json", json!({"batchItemFailures": [{"itemIdentifier": "400000000000000012007"}]})),
        ("kinesis-payments.json", json!({"batchItemFailures": []})),
    ] {
        let payload: Value = serde_json::from_str(&text(name)).unwrap();
        let mut context = Context::default();
        context.request_id = format!("test-{name}");
        let response = service.ready().await.unwrap().call(LambdaEvent::new(payload, context)).await.unwrap();
        assert_eq!(response, expected, "{name}");
        assert_eq!(serde_json::to_string(&response).unwrap(), expected.to_string());
    }
    // An invocation the function cannot take is an invocation error: Lambda retries the batch.
    let e = service.ready().await.unwrap().call(LambdaEvent::new(json!({}), Context::default())).await.unwrap_err();
    assert_eq!(e.to_string(), "not a DynamoDB Streams or Kinesis invocation event: no \"Records\" array");
    // And `function_handler` directly, as in the example's local mode.
    let payload = invocation("kinesis-payments.json");
    let response = handler::function_handler(function, LambdaEvent::new(payload, Context::default())).await.unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
}

/// An HTTP request: method, path, body.
type Request = (String, String, String);

/// One HTTP/1.1 request from the runtime client. `Ok(None)` when the client closed the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
    let (mut length, mut chunked) = (0, false);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end().to_ascii_lowercase();
        if header.is_empty() {
            break;
        }
        if let Some(n) = header.strip_prefix("content-length:") {
            length = n.trim().parse().unwrap();
        }
        chunked |= header == "transfer-encoding: chunked";
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some((method, path, String::from_utf8(body).unwrap())))
}

/// A stand-in for Lambda's Runtime API on loopback: it hands out `events` (JSON text), one per
/// `GET /2018-06-01/runtime/invocation/next`, records every other request (the function's
/// responses and errors), and closes when it has no event left, which ends the runtime's loop.
fn runtime_api(events: Vec<String>) -> (String, std::thread::JoinHandle<Vec<Request>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let server = std::thread::spawn(move || {
        let mut events = events.into_iter().enumerate();
        let mut seen = Vec::new();
        'connections: loop {
            let (stream, _) = listener.accept().unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut stream = stream;
            loop {
                let (method, path, body) = match read_request(&mut reader) {
                    Ok(Some(request)) => request,
                    Ok(None) => continue 'connections,
                    Err(_) => break 'connections,
                };
                if method == "GET" && path == "/2018-06-01/runtime/invocation/next" {
                    let Some((i, event)) = events.next() else { break 'connections };
                    let deadline =
                        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() + 30_000;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: request-{i}\r\n\
                         lambda-runtime-deadline-ms: {deadline}\r\n\
                         lambda-runtime-invoked-function-arn: arn:aws:lambda:eu-west-1:123456789012:function:OrdersFunction\r\n\
                         content-length: {}\r\n\r\n",
                        event.len()
                    );
                    stream.write_all(head.as_bytes()).unwrap();
                    stream.write_all(event.as_bytes()).unwrap();
                } else {
                    seen.push((method, path, body));
                    stream.write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n").unwrap();
                }
            }
        }
        seen
    });
    (address, server)
}

/// The example's `main` loop for real: `lambda_runtime::run` polls a Runtime API (a stand-in on
/// loopback), deserialises each invocation event from the HTTP body, builds the `Context` from the
/// headers, calls the handler and posts its response, or its error for an event it cannot take.
#[tokio::test]
async fn lambda_runtime_run_serves_invocations() {
    let invalid = r#"{"Records": [{"eventSource": "aws:sqs", "messageId": "m-1", "body": "{}"}]}"#.to_string();
    let (address, server) = runtime_api(vec![
        text("dynamodb-orders.json"),
        text("dynamodb-failure.json"),
        invalid,
        text("kinesis-payments.json"),
    ]);
    // What Lambda sets in the execution environment. Only this test reads them.
    std::env::set_var("AWS_LAMBDA_RUNTIME_API", &address);
    std::env::set_var("AWS_LAMBDA_FUNCTION_NAME", "OrdersFunction");
    std::env::set_var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128");
    std::env::set_var("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    let function = function();
    let function = &function;
    let run = lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        assert!(event.context.request_id.starts_with("request-"), "{:?}", event.context);
        handler::function_handler(function, event).await
    }))
    .await;
    assert!(run.is_err(), "the loop ends when the Runtime API goes away");
    let seen: Vec<(String, String, Value)> = server
        .join()
        .unwrap()
        .into_iter()
        .map(|(method, path, body)| (method, path, serde_json::from_str(&body).unwrap()))
        .collect();
    let post = |path: &str, body: Value| ("POST".to_string(), format!("/2018-06-01/runtime/invocation/{path}"), body);
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[0], post("request-0/response", json!({"batchItemFailures": []})));
    assert_eq!(
        seen[1],
        post("request-1/response", json!({"batchItemFailures": [{"itemIdentifier": "400000000000000012007"}]}))
    );
    assert_eq!((seen[2].0.as_str(), seen[2].1.as_str()), ("POST", "/2018-06-01/runtime/invocation/request-2/error"));
    assert_eq!(
        seen[2].2["errorMessage"],
        "record 0: neither a DynamoDB Streams record nor a Kinesis record (eventSource \"aws:sqs\")"
    );
    assert_eq!(seen[3], post("request-3/response", json!({"batchItemFailures": []})));
}
