//! Where filters live: CloudFormation and SAM templates (JSON or YAML, CDK synth output included),
//! Serverless Framework files and Terraform plans. Each filter found becomes a [`Site`]: the pattern
//! text with its map back into the file, the service whose dialect applies, and what holds it.

use std::ops::Range;

use eventsift::lambda::AttributeType;
use eventsift::{Dialect, Source};

use super::doc::{scalar_text, to_json, Kind, Mapped, Node};

/// One pattern found in a document.
#[derive(Debug)]
pub struct PatternSite {
    /// The pattern text, mapped back to the file.
    pub text: Mapped,
    /// The node's span in the file.
    pub span: Range<usize>,
    /// Intrinsic functions inside the pattern (replaced by placeholder strings in `text`).
    pub intrinsics: Vec<(String, Range<usize>)>,
    /// The whole pattern is built by an intrinsic function (`!Sub`, `Fn::Join`, …): not checkable.
    pub built_by: Option<String>,
    /// A FilterCriteria `Pattern` written as an object where a JSON string is required.
    pub object_for_string: bool,
    /// The filter's position in its list (the values of an `Fn::If` that chooses a filter or its
    /// pattern share it).
    pub slot: usize,
    /// Which values of `Fn::If`s chose this pattern: `second value of Fn::If [IsProd]`, outermost
    /// first.
    pub branch: Option<String>,
}

#[derive(Debug)]
pub enum Site {
    /// An EventBridge rule's pattern.
    Rule { context: String, pattern: PatternSite },
    /// A Lambda event-source mapping's or a pipe's FilterCriteria.
    Criteria {
        context: String,
        dialect: Dialect,
        /// The source, when the mapping's event source says it.
        source: Option<Source>,
        /// A DynamoDB stream's view type, when the table is in the same template.
        view: Option<String>,
        /// The declared types of the DynamoDB table's key attributes (its `AttributeDefinitions`),
        /// when the table is in the same template.
        key_types: Vec<(String, AttributeType)>,
        filters: Vec<PatternSite>,
        /// The FilterCriteria node (for findings about the whole).
        span: Range<usize>,
        /// The `Filters` key or the node, for an empty criteria.
        key_span: Range<usize>,
        /// The criteria is an intrinsic function.
        built_by: Option<String>,
    },
}

/// What a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    CloudFormation,
    Serverless,
    TerraformPlan,
    Criteria,
    Other,
}

impl DocKind {
    pub fn name(self) -> &'static str {
        match self {
            DocKind::CloudFormation => "cloudformation template",
            DocKind::Serverless => "serverless framework file",
            DocKind::TerraformPlan => "terraform plan",
            DocKind::Criteria => "criteria",
            DocKind::Other => "other",
        }
    }
}

pub fn classify(root: &Node) -> DocKind {
    if !root.is_map() {
        return DocKind::Other;
    }
    let has = |k: &str| root.get(k).is_some();
    if has("Resources") && root.get("Resources").is_some_and(Node::is_map)
        || has("AWSTemplateFormatVersion")
        || (has("Transform") && !has("service"))
    {
        return DocKind::CloudFormation;
    }
    if has("service") && (has("functions") || has("provider")) {
        return DocKind::Serverless;
    }
    if has("format_version") && (has("planned_values") || has("values") || has("resource_changes")) {
        return DocKind::TerraformPlan;
    }
    if has("Filters") || has("FilterCriteria") || root.members().is_empty() {
        return DocKind::Criteria;
    }
    DocKind::Other
}

/// Every filter in a document of `kind`.
pub fn find(file: &str, root: &Node, kind: DocKind) -> Vec<Site> {
    let mut out = Vec::new();
    match kind {
        DocKind::CloudFormation => cloudformation(file, root, &mut out),
        DocKind::Serverless => {
            serverless(file, root, &mut out);
            if let Some(resources) = root.get("resources") {
                cloudformation(file, resources, &mut out);
            }
        }
        DocKind::TerraformPlan => terraform(file, root, &mut out),
        _ => {}
    }
    blank_deploy_time(&mut out, kind);
    out
}

/// Blanks out each `open…close` in the site's text (same length, so the map stays one to one) and
/// records it as a value resolved at deploy time: what can be checked is checked, the placeholders
/// are reported once.
fn blank(site: &mut PatternSite, open: &str, close: &str, what: &str) {
    let text = site.text.text.clone();
    let mut out = text.clone().into_bytes();
    let mut from = 0;
    while let Some(start) = text[from..].find(open).map(|i| from + i) {
        if open == "${" && text[start..].starts_with("${!") {
            from = start + 3;
            continue;
        }
        let Some(len) = text[start + open.len()..].find(close) else { break };
        let end = start + open.len() + len + close.len();
        site.intrinsics.push((format!("{what} {}", &text[start..end]), site.text.file_span(start..end)));
        out[start..end].fill(b'_');
        if element_position(text.as_bytes(), start) {
            // An array element outside any string (`[">", ${Min}]`): a number stands in, so that
            // the rest of the pattern is still read. (Anywhere else a value of unknown type
            // cannot stand in: the blank stops the parser there, and no error is reported at it.)
            out[start] = b'0';
            out[start + 1..end].fill(b' ');
        }
        from = end;
    }
    site.text.text = String::from_utf8(out).unwrap_or(text);
}

/// Is `at` outside JSON strings, right after `[` or `,` (whitespace aside) inside an array?
fn element_position(text: &[u8], at: usize) -> bool {
    // The innermost open bracket before `at`, strings skipped.
    let mut open = Vec::new();
    let in_string = super::doc::each_bracket(&text[..at], |b| match b {
        b'[' | b'{' => open.push(b),
        _ => {
            open.pop();
        }
    });
    let before = text[..at].iter().rev().find(|b| !b.is_ascii_whitespace());
    !in_string && open.last() == Some(&b'[') && matches!(before, Some(b'[' | b','))
}

/// Values that the deployment tool resolves inside pattern strings: Serverless Framework variables
/// (`${self:custom.stage}`, `${opt:stage}`, …) and its pseudo-parameter plugin (`#{AWS::Region}`) in
/// serverless.yml; CloudFormation dynamic references (`{{resolve:ssm:name}}`) in templates.
fn blank_deploy_time(sites: &mut [Site], kind: DocKind) {
    let each = |p: &mut PatternSite| match kind {
        DocKind::Serverless => {
            blank(p, "${", "}", "Serverless variable");
            blank(p, "#{", "}", "pseudo-parameter");
            blank(p, "{{resolve:", "}}", "dynamic reference");
        }
        DocKind::CloudFormation => blank(p, "{{resolve:", "}}", "dynamic reference"),
        _ => {}
    };
    for site in sites {
        match site {
            Site::Rule { pattern, .. } => each(pattern),
            Site::Criteria { filters, .. } => filters.iter_mut().for_each(each),
        }
    }
}

/// The template string of an `Fn::Sub` (short form or long form, with or without variables).
fn sub_text(file: &str, node: &Node) -> Option<Mapped> {
    let arg = if node.tag.is_some() { node.clone() } else { node.members().first()?.1.clone() };
    let target = match &arg.kind {
        Kind::Seq(items) => items.first()?.clone(),
        _ => arg,
    };
    let mut plain = target.clone();
    plain.tag = None;
    match &plain.kind {
        Kind::Scalar { ty: super::doc::ScalarType::String, .. } => Some(scalar_text(file, &target)),
        _ => None,
    }
}

/// The text an `Fn::Join` of string pieces makes, when its delimiter is a string: each piece that
/// is not a string (a `Ref`, an `Fn::GetAtt`, …) is resolved at deploy time and recorded in
/// `intrinsics`; in the text it is a number when it is an array element (so the rest is read),
/// and a blank otherwise (which stops the parser there, as [`blank`] has it).
fn join_text(file: &str, node: &Node, intrinsics: &mut Vec<(String, Range<usize>)>) -> Option<Mapped> {
    let arg = if node.tag.is_some() {
        let mut a = node.clone();
        a.tag = None;
        a
    } else {
        node.members().first()?.1.clone()
    };
    let [delimiter, list] = arg.items() else { return None };
    let delimiter_text = delimiter.as_str()?;
    if !matches!(list.kind, Kind::Seq(_)) {
        return None;
    }
    let string =
        |n: &Node| matches!(n.kind, Kind::Scalar { ty: super::doc::ScalarType::String, .. }) && n.tag.is_none();
    let mut out = Mapped::default();
    for (i, item) in list.items().iter().enumerate() {
        if i > 0 {
            out.push_str(delimiter_text, delimiter.span.start);
        }
        if string(item) {
            out.append(&scalar_text(file, item));
        } else {
            let what = item.intrinsic().unwrap_or_else(|| "a value".into());
            intrinsics.push((format!("{what} in Fn::Join"), item.span.clone()));
            let token = if element_position(out.text.as_bytes(), out.text.len()) { "0" } else { "_" };
            out.push_str(token, item.span.start);
        }
    }
    out.map.push(list.span.end);
    Some(out)
}

/// A pattern held by `node`. `string_required`: a FilterCriteria `Pattern`, which must be a string.
fn pattern_site(file: &str, node: &Node, string_required: bool) -> PatternSite {
    let mut site = PatternSite {
        text: Mapped::default(),
        span: node.span.clone(),
        intrinsics: Vec::new(),
        built_by: None,
        object_for_string: false,
        slot: 0,
        branch: None,
    };
    if let Some(name) = node.intrinsic() {
        if name == "Fn::Sub" {
            if let Some(text) = sub_text(file, node) {
                site.text = text;
                blank(&mut site, "${", "}", "Fn::Sub placeholder");
                return site;
            }
        }
        if name == "Fn::Join" {
            // CDK writes a pattern string with tokens in it this way.
            if let Some(text) = join_text(file, node, &mut site.intrinsics) {
                site.text = text;
                return site;
            }
        }
        if name == "Fn::ToJsonString" {
            // AWS::LanguageExtensions: an object written out as a JSON string, so a pattern.
            let arg = if node.tag.is_some() {
                let mut a = node.clone();
                a.tag = None;
                a
            } else {
                node.members()[0].1.clone()
            };
            if arg.is_map() {
                site.text = to_json(file, &arg, &mut site.intrinsics);
                return site;
            }
        }
        site.built_by = Some(name);
        return site;
    }
    if let Kind::Scalar { ty: super::doc::ScalarType::Null, .. } = node.kind {
        // Terraform writes values known only after apply as null.
        site.built_by = Some("a value known only after apply".into());
        return site;
    }
    match &node.kind {
        Kind::Scalar { .. } => site.text = scalar_text(file, node),
        Kind::Map(_) => {
            site.object_for_string = string_required;
            site.text = to_json(file, node, &mut site.intrinsics);
        }
        Kind::Seq(_) => {
            // Not a pattern: hand the JSON over so that the parser says so, at this position.
            site.text = to_json(file, node, &mut site.intrinsics);
        }
    }
    site
}

/// `Fn::If`s are followed this deep; one nested deeper is noted as built at deploy time.
const MAX_IF_DEPTH: usize = 8;

/// The two values of an `Fn::If` (`!If [Cond, A, B]`, `{"Fn::If": ["Cond", A, B]}`), each with the
/// words that name it in diagnostics (`second value of Fn::If [IsProd]`). None for any other node,
/// and for an `Fn::If` without a condition and two values.
fn if_values(node: &Node) -> Option<[(String, &Node); 2]> {
    let args = match (&node.tag, &node.kind) {
        (Some(tag), Kind::Seq(items)) if tag == "!If" => items,
        (None, Kind::Map(m)) if m.len() == 1 && m[0].0.text == "Fn::If" && m[0].1.tag.is_none() => match &m[0].1.kind {
            Kind::Seq(items) => items,
            _ => return None,
        },
        _ => return None,
    };
    let [condition, first, second] = args.as_slice() else { return None };
    let name = match condition.scalar_text() {
        Some(c) => format!("Fn::If [{c}]"),
        None => "Fn::If".to_string(),
    };
    Some([(format!("first value of {name}"), first), (format!("second value of {name}"), second)])
}

/// `!Ref AWS::NoValue` (`{"Ref": "AWS::NoValue"}`): the property is absent.
fn is_no_value(node: &Node) -> bool {
    match (&node.tag, &node.kind) {
        (Some(tag), Kind::Scalar { value, .. }) => tag == "!Ref" && value.trim() == "AWS::NoValue",
        (None, Kind::Map(m)) => m.len() == 1 && m[0].0.text == "Ref" && m[0].1.as_str() == Some("AWS::NoValue"),
        _ => false,
    }
}

/// The values of an `Fn::If` that are there (not `AWS::NoValue`), when `node` is one and `depth`
/// allows following it.
fn chosen_values(node: &Node, depth: usize) -> Option<Vec<(String, &Node)>> {
    if depth >= MAX_IF_DEPTH {
        return None;
    }
    let values = if_values(node)?;
    Some(values.into_iter().filter(|(_, v)| !is_no_value(v)).collect())
}

/// `outer` and then `label`, as a branch is named.
fn nested(outer: Option<&str>, label: &str) -> String {
    match outer {
        Some(o) => format!("{o}, {label}"),
        None => label.to_string(),
    }
}

/// The value that every branch gives, when they all give the same one (`AWS::NoValue` aside).
fn agreed<T: PartialEq>(mut values: impl Iterator<Item = Option<T>>) -> Option<T> {
    let first = values.next()??;
    for v in values {
        if v.as_ref() != Some(&first) {
            return None;
        }
    }
    Some(first)
}

/// A pattern held by `node`, or, when an `Fn::If` chooses it, each of its values (nested ones too)
/// as a pattern of its own, named by its branch. `AWS::NoValue` holds no pattern.
fn pattern_sites(
    file: &str,
    node: &Node,
    string_required: bool,
    slot: usize,
    branch: Option<&str>,
    depth: usize,
    out: &mut Vec<PatternSite>,
) {
    if let Some(values) = chosen_values(node, depth) {
        for (label, v) in values {
            pattern_sites(file, v, string_required, slot, Some(&nested(branch, &label)), depth + 1, out);
        }
        return;
    }
    let mut site = pattern_site(file, node, string_required);
    site.slot = slot;
    site.branch = branch.map(str::to_string);
    out.push(site);
}

/// How a FilterCriteria is read: its service, and the keys of its list and of a filter's pattern.
struct Shape<'a> {
    dialect: Dialect,
    source: Option<Source>,
    filters_key: &'a str,
    pattern_key: &'a str,
}

/// The criteria sites of a FilterCriteria: one, or, when `Fn::If`s choose the criteria or its list
/// of filters, one for each list that can be deployed (its context names the branch).
fn criteria_sites(
    file: &str,
    node: &Node,
    context: String,
    dialect: Dialect,
    source: Option<Source>,
    filters_key: &str,
    pattern_key: &str,
) -> Vec<Site> {
    let shape = Shape { dialect, source, filters_key, pattern_key };
    let mut out = Vec::new();
    criteria_value(file, node, context, &shape, 0, &mut out);
    out
}

/// A FilterCriteria, or a value of an `Fn::If` that chooses it.
fn criteria_value(file: &str, node: &Node, context: String, shape: &Shape, depth: usize, out: &mut Vec<Site>) {
    if let Some(values) = chosen_values(node, depth) {
        for (label, v) in values {
            criteria_value(file, v, format!("{context}, {label}"), shape, depth + 1, out);
        }
        return;
    }
    if let Some(name) = node.intrinsic() {
        out.push(Site::Criteria {
            context,
            dialect: shape.dialect,
            source: shape.source,
            view: None,
            key_types: Vec::new(),
            filters: Vec::new(),
            span: node.span.clone(),
            key_span: node.span.clone(),
            built_by: Some(name),
        });
        return;
    }
    match (node.get(shape.filters_key), node.key(shape.filters_key)) {
        (Some(list), Some(key)) => {
            filters_value(file, list, node.span.clone(), key.span.clone(), context, shape, depth, out);
        }
        _ => out.push(Site::Criteria {
            context,
            dialect: shape.dialect,
            source: shape.source,
            view: None,
            key_types: Vec::new(),
            filters: Vec::new(),
            span: node.span.clone(),
            key_span: node.span.clone(),
            built_by: None,
        }),
    }
}

/// A list of filters, or a value of an `Fn::If` that chooses it (`span`: what a note about the
/// whole points at; `key_span`: where an empty list is reported).
#[allow(clippy::too_many_arguments)]
fn filters_value(
    file: &str,
    list: &Node,
    span: Range<usize>,
    key_span: Range<usize>,
    context: String,
    shape: &Shape,
    depth: usize,
    out: &mut Vec<Site>,
) {
    if let Some(values) = chosen_values(list, depth) {
        for (label, v) in values {
            let at = v.span.clone();
            filters_value(file, v, at.clone(), at, format!("{context}, {label}"), shape, depth + 1, out);
        }
        return;
    }
    let built_by = list.intrinsic();
    let mut filters = Vec::new();
    if built_by.is_none() {
        let mut slot = 0;
        for f in list.items() {
            let before = filters.len();
            filter_value(file, f, shape.pattern_key, slot, None, depth, &mut filters);
            if filters.len() > before {
                slot += 1;
            }
        }
    }
    out.push(Site::Criteria {
        context,
        dialect: shape.dialect,
        source: shape.source,
        view: None,
        key_types: Vec::new(),
        filters,
        span,
        key_span,
        built_by,
    });
}

/// One filter of a list (numbered `slot`), or a value of an `Fn::If` that chooses it.
fn filter_value(
    file: &str,
    f: &Node,
    pattern_key: &str,
    slot: usize,
    branch: Option<&str>,
    depth: usize,
    out: &mut Vec<PatternSite>,
) {
    if let Some(values) = chosen_values(f, depth) {
        for (label, v) in values {
            filter_value(file, v, pattern_key, slot, Some(&nested(branch, &label)), depth + 1, out);
        }
        return;
    }
    // The filter's `Pattern`, or the filter itself when an intrinsic builds it.
    if let Some(p) = f.get(pattern_key).or_else(|| f.intrinsic().map(|_| f)) {
        pattern_sites(file, p, true, slot, branch, depth, out);
    }
}

/// The `StreamViewType` of the DynamoDB table whose stream `arn` names (`!GetAtt Table.StreamArn`),
/// when that table is in the template (through an `Fn::If` whose values agree).
fn stream_view(arn: &Node, resources: &Node) -> Option<String> {
    stream_view_at(arn, resources, 0)
}

fn stream_view_at(arn: &Node, resources: &Node, depth: usize) -> Option<String> {
    if let Some(values) = chosen_values(arn, depth) {
        return agreed(values.into_iter().map(|(_, v)| stream_view_at(v, resources, depth + 1)));
    }
    let spec = stream_table(arn, resources)?.get("Properties")?.get("StreamSpecification")?;
    spec.get("StreamViewType")?.as_str().map(str::to_string)
}

/// The declared types of the key attributes (`AttributeDefinitions`: `AttributeName`,
/// `AttributeType` `S`, `N` or `B`) of the DynamoDB table whose stream `arn` names, when that
/// table is in the template (through an `Fn::If` whose values agree); empty otherwise. Definitions
/// that are not plain strings (an intrinsic) are left out.
fn key_types(arn: &Node, resources: &Node) -> Vec<(String, AttributeType)> {
    key_types_at(arn, resources, 0).unwrap_or_default()
}

fn key_types_at(arn: &Node, resources: &Node, depth: usize) -> Option<Vec<(String, AttributeType)>> {
    if let Some(values) = chosen_values(arn, depth) {
        return agreed(values.into_iter().map(|(_, v)| key_types_at(v, resources, depth + 1)));
    }
    let table = stream_table(arn, resources)?;
    let definitions = table.get("Properties").and_then(|p| p.get("AttributeDefinitions"));
    Some(
        definitions
            .map(|d| d.items())
            .unwrap_or_default()
            .iter()
            .filter_map(|d| {
                let name = d.get("AttributeName")?.scalar_text()?;
                Some((name.to_string(), d.get("AttributeType")?.scalar_text()?.parse().ok()?))
            })
            .collect(),
    )
}

/// The DynamoDB table (`AWS::DynamoDB::Table` or `GlobalTable`) of the template whose stream `arn`
/// names (`!GetAtt Table.StreamArn`, `Fn::GetAtt`), not through `Fn::If`.
fn stream_table<'a>(arn: &Node, resources: &'a Node) -> Option<&'a Node> {
    let logical = match (&arn.tag, &arn.kind) {
        (Some(tag), Kind::Scalar { value, .. }) if tag == "!GetAtt" => value.split_once('.')?.0.to_string(),
        (Some(tag), Kind::Seq(items)) if tag == "!GetAtt" => items.first()?.scalar_text()?.to_string(),
        (None, Kind::Map(m)) if m.len() == 1 && m[0].0.text == "Fn::GetAtt" => match &m[0].1.kind {
            Kind::Seq(items) => items.first()?.scalar_text()?.to_string(),
            Kind::Scalar { value, .. } => value.split_once('.')?.0.to_string(),
            _ => return None,
        },
        _ => return None,
    };
    let table = resources.get(&logical)?;
    if !matches!(table.get("Type")?.as_str()?, "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable") {
        return None;
    }
    Some(table)
}

/// Sets the view type and the key attribute types of criteria sites from the event-source ARN.
fn with_view(mut sites: Vec<Site>, arn: Option<&Node>, resources: &Node) -> Vec<Site> {
    for site in &mut sites {
        if let Site::Criteria { view, key_types: types, .. } = site {
            *view = arn.and_then(|a| stream_view(a, resources));
            *types = arn.map(|a| key_types(a, resources)).unwrap_or_default();
        }
    }
    sites
}

/// The source named by an event-source ARN (a string, or an intrinsic that refers to a resource of
/// the template; an `Fn::If` when its values name the same source).
fn arn_source(arn: &Node, resources: Option<&Node>) -> Option<Source> {
    arn_source_at(arn, resources, 0)
}

fn arn_source_at(arn: &Node, resources: Option<&Node>, depth: usize) -> Option<Source> {
    if let Some(values) = chosen_values(arn, depth) {
        return agreed(values.into_iter().map(|(_, v)| arn_source_at(v, resources, depth + 1)));
    }
    if let Some(s) = arn.scalar_text() {
        return arn_text_source(s);
    }
    let (name, args) = match (&arn.tag, &arn.kind) {
        (Some(tag), _) => (tag.trim_start_matches('!').to_string(), arn.clone()),
        (None, Kind::Map(m)) if m.len() == 1 => (m[0].0.text.trim_start_matches("Fn::").to_string(), m[0].1.clone()),
        _ => return None,
    };
    let value = |n: &Node| match &n.kind {
        Kind::Scalar { value, .. } => Some(value.clone()),
        _ => None,
    };
    match name.as_str() {
        "GetAtt" => {
            let (logical, attr) = match &args.kind {
                Kind::Scalar { value, .. } => {
                    let (l, a) = value.split_once('.')?;
                    (l.to_string(), a.to_string())
                }
                Kind::Seq(items) if items.len() == 2 => (value(&items[0])?, value(&items[1])?),
                _ => return None,
            };
            if attr == "StreamArn" || attr == "LatestStreamArn" {
                return Some(Source::DynamoDb);
            }
            resource_source(resources?.get(&logical)?)
        }
        "Ref" => resource_source(resources?.get(&value(&args)?)?),
        "Sub" => {
            let text = match &args.kind {
                Kind::Scalar { value, .. } => value.clone(),
                Kind::Seq(items) => value(items.first()?)?,
                _ => return None,
            };
            arn_text_source(&text)
        }
        "ImportValue" | "Join" | "Select" | "FindInMap" => None,
        _ => None,
    }
}

fn arn_text_source(s: &str) -> Option<Source> {
    let mut parts = s.split(':');
    if parts.next()? != "arn" {
        return None;
    }
    let _partition = parts.next()?;
    match parts.next()? {
        "dynamodb" => Some(Source::DynamoDb),
        "kinesis" => Some(Source::Kinesis),
        "sqs" => Some(Source::Sqs),
        "kafka" => Some(Source::Kafka),
        "mq" => Some(Source::Mq),
        _ => None,
    }
}

fn resource_source(resource: &Node) -> Option<Source> {
    match resource.get("Type")?.as_str()? {
        "AWS::SQS::Queue" => Some(Source::Sqs),
        "AWS::Kinesis::Stream" | "AWS::Kinesis::StreamConsumer" => Some(Source::Kinesis),
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => Some(Source::DynamoDb),
        "AWS::MSK::Cluster" | "AWS::MSK::ServerlessCluster" => Some(Source::Kafka),
        "AWS::AmazonMQ::Broker" => Some(Source::Mq),
        _ => None,
    }
}

/// A rule's pattern in a template: one site, or one for each value of the `Fn::If`s that choose it.
fn rule_sites(file: &str, node: &Node, context: String, out: &mut Vec<Site>) {
    let mut patterns = Vec::new();
    pattern_sites(file, node, false, 0, None, 0, &mut patterns);
    out.extend(patterns.into_iter().map(|pattern| Site::Rule { context: context.clone(), pattern }));
}

fn cloudformation(file: &str, root: &Node, out: &mut Vec<Site>) {
    let Some(resources) = root.get("Resources") else { return };
    for (id, resource) in resources.members() {
        let Some(ty) = resource.get("Type").and_then(Node::as_str) else { continue };
        let Some(props) = resource.get("Properties") else { continue };
        let id = &id.text;
        match ty {
            "AWS::Events::Rule" => {
                if let Some(p) = props.get("EventPattern") {
                    rule_sites(file, p, format!("resource {id} ({ty}), EventPattern"), out);
                }
            }
            "AWS::Lambda::EventSourceMapping" => {
                if let Some(fc) = props.get("FilterCriteria") {
                    let source = props
                        .get("EventSourceArn")
                        .and_then(|a| arn_source(a, Some(resources)))
                        .or_else(|| props.get("SelfManagedEventSource").map(|_| Source::Kafka))
                        .or_else(|| props.get("AmazonManagedKafkaEventSourceConfig").map(|_| Source::Kafka));
                    let sites = criteria_sites(
                        file,
                        fc,
                        format!("resource {id} ({ty}), FilterCriteria"),
                        Dialect::LambdaEsm,
                        source,
                        "Filters",
                        "Pattern",
                    );
                    out.extend(with_view(sites, props.get("EventSourceArn"), resources));
                }
            }
            "AWS::Pipes::Pipe" => {
                if let Some(fc) = props.get("SourceParameters").and_then(|s| s.get("FilterCriteria")) {
                    let source = props.get("Source").and_then(|a| arn_source(a, Some(resources)));
                    let sites = criteria_sites(
                        file,
                        fc,
                        format!("resource {id} ({ty}), SourceParameters.FilterCriteria"),
                        Dialect::Pipes,
                        source,
                        "Filters",
                        "Pattern",
                    );
                    out.extend(with_view(sites, props.get("Source"), resources));
                }
            }
            "AWS::Serverless::Function" | "AWS::Serverless::StateMachine" => {
                let Some(events) = props.get("Events") else { continue };
                for (name, event) in events.members() {
                    let Some(ety) = event.get("Type").and_then(Node::as_str) else { continue };
                    let Some(eprops) = event.get("Properties") else { continue };
                    let context = format!("resource {id} ({ty}), event {} ({ety})", name.text);
                    let source = match ety {
                        "DynamoDB" => Some(Source::DynamoDb),
                        "Kinesis" => Some(Source::Kinesis),
                        "SQS" => Some(Source::Sqs),
                        "MSK" | "SelfManagedKafka" => Some(Source::Kafka),
                        "MQ" => Some(Source::Mq),
                        "EventBridgeRule" | "CloudWatchEvent" => {
                            if let Some(p) = eprops.get("Pattern") {
                                rule_sites(file, p, format!("{context}, Pattern"), out);
                            }
                            continue;
                        }
                        _ => continue,
                    };
                    if let Some(fc) = eprops.get("FilterCriteria") {
                        let sites = criteria_sites(
                            file,
                            fc,
                            format!("{context}, FilterCriteria"),
                            Dialect::LambdaEsm,
                            source,
                            "Filters",
                            "Pattern",
                        );
                        out.extend(with_view(sites, eprops.get("Stream"), resources));
                    }
                }
            }
            _ => {}
        }
    }
}

fn serverless(file: &str, root: &Node, out: &mut Vec<Site>) {
    serverless_pipes(file, root, out);
    let Some(functions) = root.get("functions") else { return };
    for (fname, function) in functions.members() {
        let Some(events) = function.get("events") else { continue };
        for (i, event) in events.items().iter().enumerate() {
            for (ety, body) in event.members() {
                let context = format!("function {}, events[{i}].{}", fname.text, ety.text);
                match ety.text.as_str() {
                    "eventBridge" | "cloudwatchEvent" => {
                        let key = if ety.text == "eventBridge" { "pattern" } else { "event" };
                        if let Some(p) = body.get(key) {
                            out.push(Site::Rule {
                                context: format!("{context}.{key}"),
                                pattern: pattern_site(file, p, false),
                            });
                        }
                    }
                    "stream" | "sqs" | "kafka" | "msk" | "activemq" | "rabbitmq" => {
                        let Some(patterns) = body.get("filterPatterns") else { continue };
                        let source = match ety.text.as_str() {
                            "sqs" => Some(Source::Sqs),
                            "kafka" | "msk" => Some(Source::Kafka),
                            "activemq" | "rabbitmq" => Some(Source::Mq),
                            _ => match body.get("type").and_then(Node::as_str) {
                                Some("dynamodb") => Some(Source::DynamoDb),
                                Some("kinesis") => Some(Source::Kinesis),
                                _ => body.get("arn").and_then(|a| {
                                    arn_source(a, root.get("resources").and_then(|r| r.get("Resources")))
                                }),
                            },
                        };
                        let filters = patterns
                            .items()
                            .iter()
                            .enumerate()
                            .map(|(i, p)| PatternSite { slot: i, ..pattern_site(file, p, false) })
                            .collect();
                        let key_span = body.key("filterPatterns").map_or(patterns.span.clone(), |k| k.span.clone());
                        // The whole list from a variable (`${self:custom.filters}`, `${file(…)}`),
                        // filled in when the service is packaged.
                        let variable = patterns
                            .scalar_text()
                            .filter(|t| t.contains("${"))
                            .map(|t| format!("the Serverless variable {}", t.trim()));
                        let resources = root.get("resources").and_then(|r| r.get("Resources"));
                        let arn = body.get("arn");
                        out.push(Site::Criteria {
                            context: format!("{context}.filterPatterns"),
                            dialect: Dialect::LambdaEsm,
                            source,
                            view: resources.and_then(|r| arn.and_then(|a| stream_view(a, r))),
                            key_types: resources.zip(arn).map(|(r, a)| key_types(a, r)).unwrap_or_default(),
                            filters,
                            span: patterns.span.clone(),
                            key_span,
                            built_by: patterns.intrinsic().or(variable),
                        });
                    }
                    _ => {}
                }
            }
        }
    }
}

/// EventBridge Pipes declared through the `serverless-pipes` plugin: a top-level `pipes:` mapping,
/// each pipe with a `source` (`dynamodb`, `kinesis`, `sqs`, … with its `arn`) and a `filter` list of
/// `Pattern` strings (the pipe's FilterCriteria filters).
fn serverless_pipes(file: &str, root: &Node, out: &mut Vec<Site>) {
    let Some(pipes) = root.get("pipes") else { return };
    let resources = root.get("resources").and_then(|r| r.get("Resources"));
    for (name, pipe) in pipes.members() {
        let Some(filter) = pipe.get("filter") else { continue };
        let origin = pipe.get("source").and_then(|s| s.members().first());
        let source = origin.and_then(|(kind, body)| match kind.text.as_str() {
            "dynamodb" => Some(Source::DynamoDb),
            "kinesis" => Some(Source::Kinesis),
            "sqs" => Some(Source::Sqs),
            "kafka" | "msk" => Some(Source::Kafka),
            "mq" | "activemq" | "rabbitmq" => Some(Source::Mq),
            _ => body.get("arn").and_then(|a| arn_source(a, resources)),
        });
        let view = origin.and_then(|(_, body)| stream_view(body.get("arn")?, resources?));
        let types = origin.and_then(|(_, body)| Some(key_types(body.get("arn")?, resources?))).unwrap_or_default();
        let built_by = filter.intrinsic().or_else(|| {
            filter.scalar_text().filter(|t| t.contains("${")).map(|t| format!("the Serverless variable {}", t.trim()))
        });
        let filters = filter
            .items()
            .iter()
            .filter_map(|f| {
                f.get("Pattern")
                    .map(|p| pattern_site(file, p, true))
                    .or_else(|| f.intrinsic().map(|_| pattern_site(file, f, true)))
            })
            .enumerate()
            .map(|(i, p)| PatternSite { slot: i, ..p })
            .collect();
        out.push(Site::Criteria {
            context: format!("pipe {}.filter", name.text),
            dialect: Dialect::Pipes,
            source,
            view,
            key_types: types,
            filters,
            span: filter.span.clone(),
            key_span: pipe.key("filter").map_or(filter.span.clone(), |k| k.span.clone()),
            built_by,
        });
    }
}

fn terraform(file: &str, root: &Node, out: &mut Vec<Site>) {
    fn module(file: &str, m: &Node, out: &mut Vec<Site>) {
        if let Some(resources) = m.get("resources") {
            for r in resources.items() {
                let (Some(ty), Some(values)) = (r.get("type").and_then(Node::as_str), r.get("values")) else {
                    continue;
                };
                let address = r.get("address").and_then(Node::as_str).unwrap_or(ty).to_string();
                match ty {
                    "aws_cloudwatch_event_rule" => {
                        if let Some(p) = values.get("event_pattern").filter(|p| p.as_str().is_some()) {
                            out.push(Site::Rule {
                                context: format!("{address}, event_pattern"),
                                pattern: pattern_site(file, p, false),
                            });
                        }
                    }
                    "aws_lambda_event_source_mapping" | "aws_pipes_pipe" => {
                        let (criteria, arn, dialect) = if ty == "aws_pipes_pipe" {
                            let sp = values.get("source_parameters").and_then(|s| s.items().first());
                            (sp.and_then(|s| s.get("filter_criteria")), values.get("source"), Dialect::Pipes)
                        } else {
                            (values.get("filter_criteria"), values.get("event_source_arn"), Dialect::LambdaEsm)
                        };
                        let Some(block) = criteria.and_then(|c| c.items().first()) else { continue };
                        let source = arn.and_then(|a| a.as_str()).and_then(arn_text_source).or_else(|| {
                            values
                                .get("self_managed_event_source")
                                .filter(|v| !v.items().is_empty())
                                .map(|_| Source::Kafka)
                        });
                        let field = if ty == "aws_pipes_pipe" {
                            "source_parameters.filter_criteria"
                        } else {
                            "filter_criteria"
                        };
                        out.extend(criteria_sites(
                            file,
                            block,
                            format!("{address}, {field}"),
                            dialect,
                            source,
                            "filter",
                            "pattern",
                        ));
                    }
                    _ => {}
                }
            }
        }
        if let Some(children) = m.get("child_modules") {
            for c in children.items() {
                module(file, c, out);
            }
        }
    }
    for top in ["planned_values", "values"] {
        if let Some(root_module) = root.get(top).and_then(|v| v.get("root_module")) {
            module(file, root_module, out);
            return;
        }
    }
}
