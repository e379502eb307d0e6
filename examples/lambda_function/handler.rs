//! The logic of the Lambda function in `examples/lambda_function.rs`, apart from its `main` so that
//! `tests/lambda_function.rs` can include it (`#[path]`) and drive it with real invocation events.
//!
//! For each invocation (one batch of one shard of the Orders table's DynamoDB stream or of the
//! Payments Kinesis stream), in order:
//!
//! 1. **Defence in depth.** The record's mapping criteria (`criteria-dynamodb.json`,
//!    `criteria-kinesis.json`, the documents the SAM template gives the mappings) are applied again
//!    with [`Filter`]. Lambda has already applied them, so every record should pass; one that does
//!    not means the deployed mapping and this code disagree (an edited template, a mapping changed
//!    by hand). It is reported in [`Outcome::unexpected`] and logged, and not routed. It is not
//!    failed either: a failure would have Lambda retry it, and it would never succeed.
//! 2. **Routing.** A [`Machine`] of the named rules of `routes.json`, more than the 5 filters a
//!    mapping allows, finds every route the record matches, in the order of [`sub_handlers`], and
//!    hands the record to each route's sub-handler. A kept record that no route matches is
//!    reported in [`Outcome::unrouted`].
//! 3. **Partial batch response.** The first record whose sub-handler fails is returned in
//!    `batchItemFailures` by its sequence number, and the records after it are left unprocessed
//!    ([`Outcome::deferred`]). Lambda checkpoints the records before it and delivers the batch again
//!    from the failed record on (for streams it uses the lowest sequence number reported), so
//!    handling later records now would only run them twice and out of order. A record's
//!    sub-handlers run again on a retry: they must be idempotent.
//!
//! Routes are matched against the record as Lambda's filters see it: DynamoDB records as they are,
//! Kinesis records with the fields of `kinesis` at the top level and `data` base64-decoded (and
//! parsed when it is JSON). Routes are compiled in the `LambdaEsm` dialect, so any one of them
//! could move into a mapping's FilterCriteria unchanged.

use base64::Engine as _;
use eventsift::lambda::Filter;
use eventsift::{Dialect, Machine, Pattern, Source};
use lambda_runtime::LambdaEvent;
use serde_json::{json, Map, Value};

/// The Orders mapping's FilterCriteria, as in `template.yaml`.
pub const DYNAMODB_CRITERIA: &str = include_str!("criteria-dynamodb.json");
/// The Payments mapping's FilterCriteria, as in `template.yaml`.
pub const KINESIS_CRITERIA: &str = include_str!("criteria-kinesis.json");
/// The routing rules: an object of rule ids to patterns (`eventsift match --machine` reads it too).
pub const ROUTES: &str = include_str!("routes.json");

/// A record handed to a sub-handler.
#[derive(Debug)]
#[allow(dead_code)] // the bundled sub-handlers need only some of the fields
pub struct Routed<'a> {
    /// The route (rule id) that matched.
    pub route: &'a str,
    /// Where the record comes from.
    pub source: Source,
    /// Its sequence number: what `batchItemFailures` reports.
    pub sequence_number: &'a str,
    /// The record as Lambda delivered it.
    pub record: &'a Value,
    /// The record as filters and routes see it (Kinesis: flattened, `data` decoded).
    pub view: &'a Value,
}

/// Does the work of one route. `Ok` says what was done; `Err` fails the record (Lambda retries it).
pub type SubHandler = Box<dyn Fn(&Routed<'_>) -> Result<String, String> + Send + Sync>;

/// One record handed to one route's sub-handler, and what it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub sequence_number: String,
    pub route: String,
    pub result: Result<String, String>,
}

/// A record that reached the function though the mapping's criteria drop it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unexpected {
    pub sequence_number: String,
    pub reason: String,
}

/// What one invocation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Every (record, route) pair handled, in order.
    pub deliveries: Vec<Delivery>,
    /// Records the mapping's criteria should have dropped: reported, not routed, not failed.
    pub unexpected: Vec<Unexpected>,
    /// Sequence numbers of kept records that no route matches.
    pub unrouted: Vec<String>,
    /// Sequence numbers for `batchItemFailures` (at most one: the first failed record).
    pub failures: Vec<String>,
    /// Sequence numbers of the records after a failure, left for Lambda to deliver again.
    pub deferred: Vec<String>,
}

impl Outcome {
    /// The function's response: `{"batchItemFailures": [{"itemIdentifier": "<SequenceNumber>"}]}`
    /// (empty when the whole batch succeeded), as Lambda expects from a mapping with
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub fn response(&self) -> Value {
        let failures: Vec<Value> = self.failures.iter().map(|s| json!({ "itemIdentifier": s })).collect();
        json!({ "batchItemFailures": failures })
    }

    /// Logs the outcome, one line per fact (Lambda sends stdout to CloudWatch Logs).
    pub fn log(&self, request_id: &str) {
        let at = if request_id.is_empty() { String::new() } else { format!("{request_id} ") };
        for d in &self.deliveries {
            match &d.result {
                Ok(done) => println!("{at}{} {}: {done}", d.sequence_number, d.route),
                Err(e) => println!("{at}{} {}: FAILED: {e}", d.sequence_number, d.route),
            }
        }
        for seq in &self.unrouted {
            println!("{at}{seq} no route matches");
        }
        for u in &self.unexpected {
            println!("{at}{} WARNING: the mapping should have dropped this record: {}", u.sequence_number, u.reason);
        }
        println!(
            "{at}summary: {} deliveries, {} unrouted, {} unexpected, {} failed, {} deferred",
            self.deliveries.len(),
            self.unrouted.len(),
            self.unexpected.len(),
            self.failures.len(),
            self.deferred.len()
        );
    }
}

/// The function's state, built once per execution environment (cold start) and reused by every
/// invocation.
pub struct Function {
    dynamodb: Filter,
    kinesis: Filter,
    routes: Machine,
    handlers: Vec<(String, SubHandler)>,
}

impl Function {
    /// The bundled criteria and routes, with the sub-handlers of [`sub_handlers`].
    pub fn bundled() -> Result<Function, String> {
        Function::new(DYNAMODB_CRITERIA, KINESIS_CRITERIA, ROUTES, sub_handlers())
    }

    /// Compiles both mappings' criteria and the routes. Every route must have a sub-handler and
    /// every sub-handler a route; routes are matched in the order of `handlers`.
    pub fn new(
        dynamodb_criteria: &str,
        kinesis_criteria: &str,
        routes: &str,
        handlers: Vec<(&str, SubHandler)>,
    ) -> Result<Function, String> {
        let dynamodb =
            Filter::new(dynamodb_criteria, Source::DynamoDb).map_err(|e| format!("criteria-dynamodb.json:{e}"))?;
        let kinesis =
            Filter::new(kinesis_criteria, Source::Kinesis).map_err(|e| format!("criteria-kinesis.json:{e}"))?;
        let routes: Map<String, Value> = serde_json::from_str(routes)
            .map_err(|e| format!("routes.json: not an object of rule ids to patterns: {e}"))?;
        let mut builder = Machine::builder();
        builder.pattern_options(Pattern::builder().dialect(Dialect::LambdaEsm));
        for (id, _) in &handlers {
            let pattern = match routes.get(*id) {
                Some(Value::String(text)) => text.clone(),
                Some(object) => object.to_string(),
                None => return Err(format!("routes.json: no route for the sub-handler {id:?}")),
            };
            builder.add(*id, &pattern).map_err(|e| format!("routes.json: route {id:?}: {e}"))?;
        }
        if let Some(id) = routes.keys().find(|id| !handlers.iter().any(|(h, _)| h == id)) {
            return Err(format!("routes.json: route {id:?} has no sub-handler"));
        }
        let handlers = handlers.into_iter().map(|(id, h)| (id.to_string(), h)).collect();
        Ok(Function { dynamodb, kinesis, routes: builder.build(), handlers })
    }

    /// The number of routes.
    pub fn route_count(&self) -> usize {
        self.routes.rule_count()
    }

    /// Warnings about the criteria (filters that can never do what was meant), to log at start.
    pub fn lints(&self) -> Vec<String> {
        let dynamodb = self.dynamodb.lints().into_iter().map(|l| format!("criteria-dynamodb.json: {l}"));
        let kinesis = self.kinesis.lints().into_iter().map(|l| format!("criteria-kinesis.json: {l}"));
        dynamodb.chain(kinesis).collect()
    }

    /// Handles one invocation event (`{"Records": [...]}`). An event that is not a batch of
    /// DynamoDB Streams or Kinesis records with sequence numbers is an error, before any record
    /// is handled: Lambda then retries the whole batch.
    pub fn handle(&self, event: &Value) -> Result<Outcome, String> {
        let records = event
            .get("Records")
            .and_then(Value::as_array)
            .ok_or("not a DynamoDB Streams or Kinesis invocation event: no \"Records\" array")?;
        let mut batch = Vec::with_capacity(records.len());
        for (i, record) in records.iter().enumerate() {
            let source = source_of(record).ok_or_else(|| {
                format!(
                    "record {i}: neither a DynamoDB Streams record nor a Kinesis record (eventSource {})",
                    record["eventSource"]
                )
            })?;
            let sequence_number = sequence_number(source, record)
                .ok_or_else(|| format!("record {i}: no sequence number to report it by"))?;
            batch.push((source, sequence_number, record));
        }

        let mut out = Outcome::default();
        let mut scratch = self.routes.scratch();
        let mut records = batch.into_iter();
        for (source, sequence_number, record) in records.by_ref() {
            let filter = if source == Source::Kinesis { &self.kinesis } else { &self.dynamodb };
            let reason = match filter.matches_value(record) {
                Ok(true) => None,
                Ok(false) => Some("no filter of the mapping's FilterCriteria matches it".to_string()),
                Err(e) => Some(format!("malformed record: {e}")),
            };
            if let Some(reason) = reason {
                out.unexpected.push(Unexpected { sequence_number: sequence_number.to_string(), reason });
                continue;
            }
            let flat;
            let view = match source {
                Source::Kinesis => {
                    flat = kinesis_view(record);
                    &flat
                }
                _ => record,
            };
            let mut routed = false;
            let mut failed = false;
            for route in self.routes.matches_value(view, &mut scratch) {
                routed = true;
                let Some((_, handler)) = self.handlers.iter().find(|(id, _)| id == route.as_str()) else { continue };
                let result = handler(&Routed { route: route.as_str(), source, sequence_number, record, view });
                failed = result.is_err();
                out.deliveries.push(Delivery {
                    sequence_number: sequence_number.to_string(),
                    route: route.to_string(),
                    result,
                });
                if failed {
                    break;
                }
            }
            if !routed {
                out.unrouted.push(sequence_number.to_string());
            }
            if failed {
                out.failures.push(sequence_number.to_string());
                break;
            }
        }
        out.deferred = records.map(|(_, sequence_number, _)| sequence_number.to_string()).collect();
        Ok(out)
    }
}

/// The Lambda handler proper: what `lambda_runtime` calls for each invocation.
pub async fn function_handler(function: &Function, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let outcome = function.handle(&event.payload)?;
    outcome.log(&event.context.request_id);
    Ok(outcome.response())
}

/// The record's source, from `eventSource` (else from its data property).
fn source_of(record: &Value) -> Option<Source> {
    match record.get("eventSource").and_then(Value::as_str) {
        Some("aws:dynamodb") => Some(Source::DynamoDb),
        Some("aws:kinesis") => Some(Source::Kinesis),
        Some(_) => None,
        None if record.get("dynamodb").is_some_and(Value::is_object) => Some(Source::DynamoDb),
        None if record.get("kinesis").is_some_and(Value::is_object) => Some(Source::Kinesis),
        None => None,
    }
}

/// `dynamodb.SequenceNumber` or `kinesis.sequenceNumber`: the item identifier Lambda expects.
fn sequence_number(source: Source, record: &Value) -> Option<&str> {
    let number = match source {
        Source::Kinesis => record.get("kinesis")?.get("sequenceNumber")?,
        _ => record.get("dynamodb")?.get("SequenceNumber")?,
    };
    number.as_str().filter(|s| !s.is_empty())
}

/// A Kinesis record as Lambda's filters see it: the envelope and the fields of `kinesis` side by
/// side, `data` base64-decoded, parsed when it is JSON, a string when it is other UTF-8 text, left
/// as it is when it cannot be decoded (routes address fields inside `data`, so only JSON matches).
pub fn kinesis_view(record: &Value) -> Value {
    let mut view = Map::new();
    let Some(fields) = record.as_object() else { return record.clone() };
    for (key, value) in fields {
        if key != "kinesis" {
            view.insert(key.clone(), value.clone());
        }
    }
    if let Some(kinesis) = record.get("kinesis").and_then(Value::as_object) {
        for (key, value) in kinesis {
            let value = if key == "data" { decode(value) } else { value.clone() };
            view.insert(key.clone(), value);
        }
    }
    Value::Object(view)
}

fn decode(data: &Value) -> Value {
    let text = data.as_str().and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok());
    match text.map(String::from_utf8) {
        Some(Ok(text)) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        _ => data.clone(),
    }
}

/// The sub-handlers, one per route, in the order a record's routes run.
pub fn sub_handlers() -> Vec<(&'static str, SubHandler)> {
    vec![
        ("order-placed", Box::new(reserve_stock)),
        ("priority-order", Box::new(page_fulfilment)),
        ("vip-customer", Box::new(tell_vip_desk)),
        ("gift-order", Box::new(print_gift_card)),
        ("order-shipped", Box::new(notify_shipped)),
        ("order-delivered", Box::new(request_review)),
        ("order-cancelled", Box::new(refund_order)),
        ("order-expired", Box::new(archive_order)),
        ("payment-failed", Box::new(retry_payment)),
        ("large-refund", Box::new(fraud_review)),
        ("chargeback", Box::new(open_dispute)),
    ]
}

// The sub-handlers say what they would do; a real function calls other services here.

/// A DynamoDB attribute of an image (`NewImage`, `OldImage`) in its type's form (`S`, `N`, `L`...).
fn attribute<'a>(r: &'a Routed<'_>, image: &str, name: &str, ty: &str) -> Option<&'a Value> {
    r.view.get("dynamodb")?.get(image)?.get(name)?.get(ty)
}

fn text<'a>(r: &'a Routed<'_>, image: &str, name: &str) -> &'a str {
    attribute(r, image, name, "S").and_then(Value::as_str).unwrap_or("?")
}

fn order_id<'a>(r: &'a Routed<'_>) -> &'a str {
    text(r, "Keys", "orderId")
}

/// A field of a Kinesis record's decoded `data`, as text.
fn data(r: &Routed<'_>, field: &str) -> String {
    match r.view.get("data").and_then(|d| d.get(field)) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "?".to_string(),
    }
}

fn reserve_stock(r: &Routed<'_>) -> Result<String, String> {
    let items = attribute(r, "NewImage", "items", "L").and_then(Value::as_array).map_or(0, Vec::len);
    let s = if items == 1 { "" } else { "s" };
    Ok(format!("reserve stock for order {}: {items} item{s}", order_id(r)))
}

fn page_fulfilment(r: &Routed<'_>) -> Result<String, String> {
    Ok(format!("page fulfilment: priority order {}", order_id(r)))
}

fn tell_vip_desk(r: &Routed<'_>) -> Result<String, String> {
    let name = attribute(r, "NewImage", "customer", "M").and_then(|m| m.get("name")?.get("S")?.as_str()).unwrap_or("?");
    Ok(format!("tell the VIP desk: order {} from {name}", order_id(r)))
}

fn print_gift_card(r: &Routed<'_>) -> Result<String, String> {
    Ok(format!("print a gift card for order {}: {:?}", order_id(r), text(r, "NewImage", "giftMessage")))
}

fn notify_shipped(r: &Routed<'_>) -> Result<String, String> {
    match attribute(r, "NewImage", "email", "S").and_then(Value::as_str) {
        Some(email) => Ok(format!("email {email}: order {} has shipped", order_id(r))),
        None => Err(format!("order {} has no email address to notify", order_id(r))),
    }
}

fn request_review(r: &Routed<'_>) -> Result<String, String> {
    Ok(format!("ask for a review of order {}", order_id(r)))
}

fn refund_order(r: &Routed<'_>) -> Result<String, String> {
    let total = attribute(r, "NewImage", "total", "N").and_then(Value::as_str).unwrap_or("?");
    Ok(format!("refund order {}: {total}", order_id(r)))
}

fn archive_order(r: &Routed<'_>) -> Result<String, String> {
    Ok(format!("archive expired order {} ({})", order_id(r), text(r, "OldImage", "status")))
}

fn retry_payment(r: &Routed<'_>) -> Result<String, String> {
    Ok(format!("retry payment {} of order {} ({})", data(r, "id"), data(r, "orderId"), data(r, "reason")))
}

fn fraud_review(r: &Routed<'_>) -> Result<String, String> {
    Ok(format!(
        "fraud review of refund {}: {} {} on order {}",
        data(r, "id"),
        data(r, "amount"),
        data(r, "currency"),
        data(r, "orderId")
    ))
}

fn open_dispute(r: &Routed<'_>) -> Result<String, String> {
    Ok(format!("open a dispute for chargeback {} on order {}", data(r, "id"), data(r, "orderId")))
}
