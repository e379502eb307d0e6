//! Dialects (which operators a service accepts) and the parsing limits.

use std::fmt;

/// The service whose pattern rules apply.
///
/// | operator | `EventBridge` | `Pipes` | `LambdaEsm` |
/// | --- | --- | --- | --- |
/// | literals, `null`, `""` | ✓ | ✓ | ✓ |
/// | `prefix`, `suffix` | ✓ | ✓ | ✓ |
/// | `prefix`/`suffix` with `equals-ignore-case` | ✓ | ✓ | – |
/// | `equals-ignore-case` | ✓ | ✓ | ✓ |
/// | `anything-but` value or list | ✓ | ✓ | ✓ |
/// | `anything-but` `prefix`/`suffix`/`equals-ignore-case`/`wildcard` | ✓ | – | – |
/// | `numeric`, `exists`, `$or` | ✓ | ✓ | ✓ |
/// | `cidr` | ✓ | – | ✓ |
/// | `wildcard` | ✓ | – | – |
///
/// `LambdaEsm` is the Lambda documentation's operator table plus `cidr`, which that table does not
/// list but AWS has been seen accepting and applying on deployed SQS and Amazon MQ event-source
/// mappings (SPEC §10 FLAG-4, amended 2026-12-06). `anything-but` never takes `cidr`, in any dialect.
///
/// Default pattern length limits: EventBridge 2,048 characters (its default quota, adjustable up
/// to 4,096), Pipes and Lambda 4,096.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// EventBridge event-bus rules: every operator.
    #[default]
    EventBridge,
    /// EventBridge Pipes filters.
    Pipes,
    /// AWS Lambda event-source-mapping filter criteria: the documented operators and `cidr`.
    LambdaEsm,
}

impl Dialect {
    /// The dialect's name, as in messages and conformance files.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::EventBridge => "EventBridge",
            Dialect::Pipes => "Pipes",
            Dialect::LambdaEsm => "LambdaEsm",
        }
    }

    /// Parses a dialect name (`EventBridge`, `Pipes`, `LambdaEsm`; case-insensitive, `lambda` too).
    pub fn from_name(name: &str) -> Option<Dialect> {
        match name.to_ascii_lowercase().as_str() {
            "eventbridge" | "eventbridgebus" | "eb" => Some(Dialect::EventBridge),
            "pipes" => Some(Dialect::Pipes),
            "lambdaesm" | "lambda" | "esm" => Some(Dialect::LambdaEsm),
            _ => None,
        }
    }

    /// The default maximum pattern length in characters.
    pub fn default_max_length(self) -> usize {
        match self {
            Dialect::EventBridge => 2048,
            Dialect::Pipes | Dialect::LambdaEsm => 4096,
        }
    }

    /// Does the dialect's table list this operator form?
    pub(crate) fn supports(self, op: Operator) -> bool {
        use Operator::*;
        match self {
            Dialect::EventBridge => true,
            Dialect::Pipes => !matches!(
                op,
                Wildcard
                    | Cidr
                    | AnythingButPrefix
                    | AnythingButSuffix
                    | AnythingButEqualsIgnoreCase
                    | AnythingButWildcard
            ),
            Dialect::LambdaEsm => {
                matches!(op, Prefix | Suffix | EqualsIgnoreCase | AnythingBut | Numeric | Exists | Cidr)
            }
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Operator forms, as far as dialects tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operator {
    Prefix,
    PrefixIgnoreCase,
    Suffix,
    SuffixIgnoreCase,
    EqualsIgnoreCase,
    AnythingBut,
    AnythingButPrefix,
    AnythingButSuffix,
    AnythingButEqualsIgnoreCase,
    AnythingButWildcard,
    Numeric,
    Exists,
    Cidr,
    Wildcard,
}

impl Operator {
    pub(crate) fn name(self) -> &'static str {
        use Operator::*;
        match self {
            Prefix => "prefix",
            PrefixIgnoreCase => "prefix equals-ignore-case",
            Suffix => "suffix",
            SuffixIgnoreCase => "suffix equals-ignore-case",
            EqualsIgnoreCase => "equals-ignore-case",
            AnythingBut => "anything-but",
            AnythingButPrefix => "anything-but prefix",
            AnythingButSuffix => "anything-but suffix",
            AnythingButEqualsIgnoreCase => "anything-but equals-ignore-case",
            AnythingButWildcard => "anything-but wildcard",
            Numeric => "numeric",
            Exists => "exists",
            Cidr => "cidr",
            Wildcard => "wildcard",
        }
    }
}

/// Everything that shapes how a pattern is parsed and compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Config {
    pub dialect: Dialect,
    /// Accept operators outside the dialect's table.
    pub allow_unlisted_operators: bool,
    /// Maximum pattern length in characters (`None`: the dialect's default).
    pub max_length: Option<usize>,
    /// Maximum nesting of objects and arrays (the top-level object is level 1).
    pub max_depth: usize,
    /// Maximum number of branches `$or` may expand to.
    pub max_or_branches: usize,
    /// Maximum wildcard complexity per field per branch.
    pub max_wildcard_complexity: usize,
    /// Reject a leaf path given twice instead of letting the last one win.
    pub reject_duplicate_paths: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            dialect: Dialect::EventBridge,
            allow_unlisted_operators: false,
            max_length: None,
            max_depth: 64,
            max_or_branches: 1000,
            max_wildcard_complexity: 10,
            reject_duplicate_paths: false,
        }
    }
}

impl Config {
    pub(crate) fn max_length(&self) -> usize {
        self.max_length.unwrap_or_else(|| self.dialect.default_max_length())
    }
}
