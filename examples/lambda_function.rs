//! A Rust AWS Lambda function (on the `lambda_runtime` crate) behind two event-source mappings: an
//! Orders table's DynamoDB stream and a Payments Kinesis stream, each with a FilterCriteria
//! (`examples/lambda_function/criteria-*.json`, the documents `template.yaml` gives the mappings).
//! Inside, the function re-applies those criteria with `eventsift::lambda::Filter`, routes each
//! record to sub-handlers with a `Machine` of 11 named rules (`routes.json`: more than the 5
//! filters a mapping allows), and answers with `batchItemFailures` (`ReportBatchItemFailures`).
//! The logic is in `examples/lambda_function/handler.rs`; README.md, "Run it inside Lambda", says
//! how to build and deploy it.
//!
//! ```sh
//! cargo build --release --example lambda_function --features lambda-example --target x86_64-unknown-linux-musl
//! # Outside Lambda: handle one invocation event from a file and print the response.
//! cargo run --example lambda_function --features lambda-example -- tests/data/lambda-invocations/dynamodb-orders.json
//! ```

#[path = "lambda_function/handler.rs"]
mod handler;

use lambda_runtime::{service_fn, Context, LambdaEvent};
use serde_json::Value;

use handler::Function;

const USAGE: &str = "usage: lambda_function [EVENT.json]\n\
    Inside Lambda (AWS_LAMBDA_RUNTIME_API set), with no argument: serve invocations.\n\
    Anywhere, with an invocation event file: handle it once and print the response.";

// Lambda sends one invocation at a time to an execution environment: one thread is enough.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Compiled once per execution environment, then shared by every invocation.
    let function = Function::bundled()?;
    eprintln!("eventsift: the criteria of 2 mappings and {} routes compiled", function.route_count());
    for lint in function.lints() {
        eprintln!("warning: {lint}");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() => {}
        [path] if !path.starts_with('-') => {
            let payload: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
            let response = handler::function_handler(&function, LambdaEvent::new(payload, Context::default())).await?;
            println!("{}", serde_json::to_string_pretty(&response)?);
            return Ok(());
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler::function_handler(function, event).await
    }))
    .await
}
