//! The Lambda event-source-mapping layer: FilterCriteria, per-source filter views, batch filtering
//! and lints (SPEC §4–§6).

mod batch;
mod criteria;
#[cfg(feature = "aws_lambda_events")]
mod events;
mod filter;
pub(crate) mod kinesis;
mod lint;
mod scan;
pub mod typed;
pub(crate) mod view;

pub use batch::{BatchOutcome, BatchScratch, DropReason, Dropped};
pub use criteria::FilterCriteria;
#[cfg(feature = "aws_lambda_events")]
pub use events::LambdaRecord;
pub use filter::{Filter, FilterBuilder, Mismatch, Scratch, Sift, Verdict, DEFAULT_MAX_FILTERS, MAX_FILTERS};
pub use kinesis::KinesisFields;
pub use lint::{AttributeType, DataFormat, Lint, LintOptions, StreamViewType};
pub use view::Payload;

/// The kind of event source whose records a filter sees. Each source has one *data property* that
/// Lambda decodes before matching (SPEC §4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// DynamoDB Streams: the record's top-level fields and `dynamodb` (always JSON).
    DynamoDb,
    /// Kinesis Data Streams: the `kinesis` fields at the top level, `data` base64-decoded.
    Kinesis,
    /// Amazon SQS: `body` parsed when it is JSON.
    Sqs,
    /// Amazon MSK and self-managed Kafka: `value` base64-decoded as UTF-8.
    Kafka,
    /// Amazon MQ (ActiveMQ and RabbitMQ): `data` base64-decoded as UTF-8.
    Mq,
    /// A plain JSON record with no data property: matched as it is.
    Raw,
}

impl Source {
    /// Every source, in documentation order.
    pub const ALL: [Source; 6] =
        [Source::DynamoDb, Source::Kinesis, Source::Sqs, Source::Kafka, Source::Mq, Source::Raw];

    /// The key of the data property in the filter view (`None` for [`Source::Raw`]).
    pub fn data_key(self) -> Option<&'static str> {
        match self {
            Source::DynamoDb => Some("dynamodb"),
            Source::Kinesis | Source::Mq => Some("data"),
            Source::Sqs => Some("body"),
            Source::Kafka => Some("value"),
            Source::Raw => None,
        }
    }

    /// The source's name as the CLI spells it: `dynamodb`, `kinesis`, `sqs`, `kafka`, `mq`, `raw`.
    pub fn name(self) -> &'static str {
        match self {
            Source::DynamoDb => "dynamodb",
            Source::Kinesis => "kinesis",
            Source::Sqs => "sqs",
            Source::Kafka => "kafka",
            Source::Mq => "mq",
            Source::Raw => "raw",
        }
    }
}

impl std::str::FromStr for Source {
    type Err = String;

    fn from_str(s: &str) -> Result<Source, String> {
        match s.to_ascii_lowercase().as_str() {
            "dynamodb" | "ddb" => Ok(Source::DynamoDb),
            "kinesis" => Ok(Source::Kinesis),
            "sqs" => Ok(Source::Sqs),
            "kafka" | "msk" => Ok(Source::Kafka),
            "mq" | "activemq" | "rabbitmq" => Ok(Source::Mq),
            "raw" => Ok(Source::Raw),
            _ => Err(format!("unknown source {s:?}: expected dynamodb, kinesis, sqs, kafka, mq or raw")),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
