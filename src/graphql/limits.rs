//! Request limits that run before async-graphql does any work proportional to what a document
//! expands to: text length, operations, aliases, directives and expanded selections (fragments
//! memoised, cycles refused), then a cost limit that multiplies page sizes.
//!
//! async-graphql's own parse-time depth check and its validation walk fragment spreads without
//! memoising them, so a few hundred bytes of nested fragments would cost exponential time and
//! memory there; the checks here run first, in one linear pass over the document.

use std::any::TypeId;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest, NextValidation,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensionValues, ErrorExtensions, Name, Pos, Request, Response, ServerError, ServerResult, ValidationResult,
};

use crate::deadline;
use crate::error::{AppError, ErrorCode};
use crate::graphql::ReadOnlyRequest;

/// Longest query text accepted, in bytes (the request body may be larger: imports send documents as variables).
pub const MAX_QUERY_BYTES: usize = 100_000;
/// Most operations in one document.
pub const MAX_OPERATIONS: usize = 20;
/// Most aliased fields in one document.
pub const MAX_ALIASES: usize = 100;
/// Most directives on one field, fragment spread or inline fragment.
pub const MAX_DIRECTIVES: usize = 5;
/// Most selections a document may expand to, every fragment spread counted as often as it is used.
pub const MAX_SELECTIONS: u64 = 5_000;

/// Page size assumed for a connection when neither `first` nor `last` is given.
pub const DEFAULT_PAGE: usize = 20;
/// How many items an unpaged list (a company's technologies, a technology's children…) counts as.
pub const LIST_ITEMS: usize = 10;
/// What one search, `similar` or `suggest` costs before its page is counted.
pub const SEARCH_PRICE: usize = 10;
/// What facets cost on top of their fields (they are counted over every match).
pub const FACETS_PRICE: usize = 20;
/// What highlights cost per result on top of their fields.
pub const HIGHLIGHTS_PRICE: usize = 2;
/// What checking every programme for one company (`eligibleProgrammes`) costs before its list is counted.
pub const ELIGIBILITY_PRICE: usize = 50;
/// What finding partners costs before its page is counted: an index search, then a batched
/// read of every candidate. A page of 100 companies asking for their partners is refused.
pub const PARTNERS_PRICE: usize = 200;
/// What finding mentors (or an expert's mentees) costs before its page is counted: an index
/// search, then batched reads of every candidate, as for partners.
pub const MENTORS_PRICE: usize = 200;
/// What finding a company's entry points costs before its list is counted.
pub const ENTRY_POINTS_PRICE: usize = 100;
/// What each entity of a bulk create costs before what it selects: checks and rows to write.
pub const BULK_ITEM_PRICE: usize = 5;
/// Costs saturate here, so that sums of many huge costs never overflow.
const COST_CAP: usize = 1 << 40;

/// The cost of a connection field: its page size times the cost of what it selects.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let page = match (first, last) {
        (None, None) => DEFAULT_PAGE,
        (first, last) => first.unwrap_or(0).max(last.unwrap_or(0)).max(0) as usize,
    };
    1 + page.max(1).saturating_mul(child_complexity).min(COST_CAP)
}

/// The cost of an unpaged list field: [`LIST_ITEMS`] times the cost of what it selects.
pub fn list_cost(child_complexity: usize) -> usize {
    1 + LIST_ITEMS.saturating_mul(child_complexity).min(COST_CAP)
}

/// The cost of a search-like field: a fixed price, plus its page size times what it selects.
pub fn search_cost(first: Option<i32>, child_complexity: usize) -> usize {
    SEARCH_PRICE + page_cost(first, None, child_complexity)
}

/// The cost of a bulk create: each item's price and what it selects. At the default cost limit,
/// a thousand companies read back by `id` fit.
pub fn bulk_cost(items: usize, child_complexity: usize) -> usize {
    1 + items.saturating_mul(BULK_ITEM_PRICE.saturating_add(child_complexity)).min(COST_CAP)
}

/// The cost of `eligibleProgrammes`: a fixed price, plus a list of what it selects.
pub fn eligibility_cost(child_complexity: usize) -> usize {
    ELIGIBILITY_PRICE + list_cost(child_complexity)
}

/// The cost of `partners`: a fixed price, plus its page size times what it selects.
pub fn partners_cost(first: i32, child_complexity: usize) -> usize {
    PARTNERS_PRICE + page_cost(Some(first), None, child_complexity)
}

/// The cost of `mentors` and `mentees`: a fixed price, plus its page size times what it selects.
pub fn mentors_cost(first: i32, child_complexity: usize) -> usize {
    MENTORS_PRICE + page_cost(Some(first), None, child_complexity)
}

/// The cost of `entryPoints`: a fixed price, plus a list of what it selects.
pub fn entry_points_cost(child_complexity: usize) -> usize {
    ENTRY_POINTS_PRICE + list_cost(child_complexity)
}

/// A refused request, with the stable code clients branch on.
pub fn refused(code: ErrorCode, message: impl Into<String>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    error
}

/// What the one pass over a document learns besides its size.
#[derive(Debug, Default)]
pub struct Shape {
    /// Where fields and arguments take a variable: an error reported there comes from the
    /// variables' values (`BAD_USER_INPUT`), not from the document.
    pub variable_positions: HashSet<Pos>,
}

/// Checks the shape limits of a parsed document in one pass, fragments memoised.
pub fn check_document(doc: &ExecutableDocument) -> Result<Shape, String> {
    let operations: Vec<&SelectionSet> = match &doc.operations {
        DocumentOperations::Single(op) => vec![&op.node.selection_set.node],
        DocumentOperations::Multiple(map) => map.values().map(|op| &op.node.selection_set.node).collect(),
    };
    if operations.len() > MAX_OPERATIONS {
        return Err(format!("a document may hold at most {MAX_OPERATIONS} operations"));
    }
    let mut walk = Walk { doc, fragments: HashMap::new(), aliases: 0, shape: Shape::default() };
    let mut total: u64 = 0;
    for selection_set in operations {
        total = total.saturating_add(walk.size(selection_set)?);
        if total > MAX_SELECTIONS {
            return Err(too_many_selections());
        }
    }
    // Fragments no operation uses are refused by validation; their shape is bounded all the same.
    for name in doc.fragments.keys() {
        walk.fragment(name)?;
    }
    Ok(walk.shape)
}

/// Whether a value names a variable, anywhere inside it.
fn has_variable(value: &async_graphql_value::Value) -> bool {
    match value {
        async_graphql_value::Value::Variable(_) => true,
        async_graphql_value::Value::List(items) => items.iter().any(has_variable),
        async_graphql_value::Value::Object(fields) => fields.values().any(has_variable),
        _ => false,
    }
}

fn too_many_selections() -> String {
    format!("the query expands to more than {MAX_SELECTIONS} fields (fragments counted each time they are used)")
}

enum Fragment {
    InProgress,
    Size(u64),
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    fragments: HashMap<&'a Name, Fragment>,
    aliases: usize,
    shape: Shape,
}

impl<'a> Walk<'a> {
    /// How many fields `set` expands to.
    fn size(&mut self, set: &'a SelectionSet) -> Result<u64, String> {
        let mut total: u64 = 0;
        for item in &set.items {
            let (directives, size) = match &item.node {
                Selection::Field(field) => {
                    if field.node.alias.is_some() {
                        self.aliases += 1;
                        if self.aliases > MAX_ALIASES {
                            return Err(format!("a document may hold at most {MAX_ALIASES} aliases"));
                        }
                    }
                    for (name, value) in &field.node.arguments {
                        if has_variable(&value.node) {
                            self.shape.variable_positions.extend([item.pos, field.pos, name.pos, value.pos]);
                        }
                    }
                    (field.node.directives.len(), 1 + self.size(&field.node.selection_set.node)?)
                }
                Selection::FragmentSpread(spread) => {
                    (spread.node.directives.len(), self.fragment(&spread.node.fragment_name.node)?)
                }
                Selection::InlineFragment(inline) => {
                    (inline.node.directives.len(), self.size(&inline.node.selection_set.node)?)
                }
            };
            if directives > MAX_DIRECTIVES {
                return Err(format!("a field or fragment may carry at most {MAX_DIRECTIVES} directives"));
            }
            total = total.saturating_add(size);
            if total > MAX_SELECTIONS {
                return Err(too_many_selections());
            }
        }
        Ok(total)
    }

    /// How many fields a named fragment expands to, computed once.
    fn fragment(&mut self, name: &'a Name) -> Result<u64, String> {
        let Some(fragment) = self.doc.fragments.get(name) else { return Ok(0) }; // validation names it
        match self.fragments.get(name) {
            Some(Fragment::Size(size)) => return Ok(*size),
            Some(Fragment::InProgress) => return Err(format!("fragment {name} spreads itself, directly or not")),
            None => {}
        }
        self.fragments.insert(name, Fragment::InProgress);
        let size = self.size(&fragment.node.selection_set.node)?;
        self.fragments.insert(name, Fragment::Size(size));
        Ok(size)
    }
}

/// What a request turned out to be, filled in once its document is parsed, for logs and metrics.
/// The transport puts it in the request's data and reads it after execution.
#[derive(Debug, Default)]
pub struct OperationInfo {
    name: OnceLock<String>,
    kind: OnceLock<&'static str>,
    executed: AtomicBool,
}

impl OperationInfo {
    /// The operation's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.get().map(String::as_str)
    }

    /// Whether the operation ran: it parsed, validated and fit the limits.
    pub fn executed(&self) -> bool {
        self.executed.load(Ordering::Relaxed)
    }

    /// `query`, `mutation` or `subscription`; `unknown` when the document was refused before.
    pub fn kind(&self) -> &'static str {
        self.kind.get().copied().unwrap_or("unknown")
    }
}

/// The async-graphql extension that applies the limits to every request, whatever its transport.
pub struct Limits {
    /// The most a request may cost (see [`page_cost`]).
    pub max_cost: usize,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            max_cost: self.max_cost,
            writes: AtomicBool::new(false),
            info: Mutex::new(None),
            variable_positions: Mutex::default(),
        })
    }
}

/// One request's limits.
struct LimitsExtension {
    max_cost: usize,
    /// Whether the operation is a mutation: writes are never cancelled midway (see [`crate::deadline`]).
    writes: AtomicBool,
    /// Where the transport wants to learn what the request was.
    info: Mutex<Option<Arc<OperationInfo>>>,
    /// Where the document takes variables (see [`Shape`]).
    variable_positions: Mutex<HashSet<Pos>>,
}

#[async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if request.query.len() > MAX_QUERY_BYTES {
            return Err(refused(
                ErrorCode::GraphqlValidationFailed,
                format!("the query is longer than {MAX_QUERY_BYTES} bytes"),
            ));
        }
        let operation_name = request.operation_name.clone();
        let doc = request.parsed_query().map_err(|err| refused(ErrorCode::GraphqlParseFailed, err.message))?;
        let shape = check_document(doc).map_err(|message| refused(ErrorCode::GraphqlValidationFailed, message))?;
        *self.variable_positions.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = shape.variable_positions;
        let operation = match &doc.operations {
            DocumentOperations::Single(op) => Some((None, op.node.ty)),
            DocumentOperations::Multiple(map) => match &operation_name {
                Some(name) => map.get(name.as_str()).map(|op| (Some(name.to_string()), op.node.ty)),
                None if map.len() == 1 => map.iter().next().map(|(name, op)| (Some(name.to_string()), op.node.ty)),
                None => None,
            },
        };
        let kind = operation.as_ref().map(|(_, ty)| *ty);
        self.writes.store(kind == Some(OperationType::Mutation), Ordering::Relaxed);
        if kind == Some(OperationType::Mutation) && request.data.contains_key(&TypeId::of::<ReadOnlyRequest>()) {
            return Err(refused(ErrorCode::MethodNotAllowed, "mutations are not run over GET; send them with POST"));
        }
        let info =
            request.data.get(&TypeId::of::<Arc<OperationInfo>>()).and_then(|d| d.downcast_ref::<Arc<OperationInfo>>());
        *self.info.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = info.cloned();
        if let Some(info) = info
            && let Some((name, ty)) = operation
        {
            if let Some(name) = name {
                let _ = info.name.set(name);
            }
            let _ = info.kind.set(match ty {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            });
        }
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(info) = self.info.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            info.executed.store(true, Ordering::Relaxed);
        }
        let left = deadline::remaining();
        match left {
            Some(left) if !self.writes.load(Ordering::Relaxed) => {
                match tokio::time::timeout(left, next.run(ctx, operation_name)).await {
                    Ok(response) => response,
                    Err(_) => Response::from_errors(vec![AppError::Timeout.extend().into_server_error(Pos::default())]),
                }
            }
            _ => next.run(ctx, operation_name).await,
        }
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await.map_err(|errors| {
            let variables = self.variable_positions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            errors
                .into_iter()
                .map(|mut error| {
                    let from_variables = error.locations.iter().any(|pos| variables.contains(pos));
                    let extensions = error.extensions.get_or_insert_with(Default::default);
                    if extensions.get("code").is_none() {
                        let code =
                            if from_variables { ErrorCode::BadUserInput } else { ErrorCode::GraphqlValidationFailed };
                        extensions.set("code", code.as_str());
                    }
                    error
                })
                .collect::<Vec<_>>()
        })?;
        if result.complexity > self.max_cost {
            let mut error = refused(
                ErrorCode::QueryTooComplex,
                format!(
                    "the query would cost {} and the limit is {}: ask for smaller pages (`first`) or fewer nested lists",
                    result.complexity, self.max_cost
                ),
            );
            if let Some(extensions) = error.extensions.as_mut() {
                extensions.set("cost", result.complexity as u64);
                extensions.set("limit", self.max_cost as u64);
            }
            return Err(vec![error]);
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn check(query: &str) -> Result<(), String> {
        check_document(&parse_query(query).expect("parses")).map(drop)
    }

    fn bomb(levels: usize, spreads: usize) -> String {
        let mut query = String::from("query { ...F0 }");
        for i in 0..levels {
            let body = vec![format!("...F{}", i + 1); spreads].join(" ");
            query.push_str(&format!(" fragment F{i} on Query {{ {body} }}"));
        }
        query.push_str(&format!(" fragment F{levels} on Query {{ __typename }}"));
        query
    }

    #[test]
    fn fragment_bombs_are_refused_in_linear_time() {
        let started = std::time::Instant::now();
        assert!(check(&bomb(30, 2)).unwrap_err().contains("expands to more than"));
        assert!(check(&bomb(8, 10)).unwrap_err().contains("expands to more than"));
        assert!(check(&bomb(1000, 2)).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "the check must not expand the fragments");
        assert!(check(&bomb(10, 2)).is_ok(), "2^10 fields is within the limit");
    }

    #[test]
    fn cycles_aliases_directives_and_operations_are_bounded() {
        assert!(
            check("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
                .unwrap_err()
                .contains("spreads itself")
        );
        let aliases: String = (0..101).map(|i| format!("a{i}: __typename ")).collect();
        assert!(check(&format!("{{ {aliases} }}")).unwrap_err().contains("aliases"));
        assert!(check("{ __typename @a @b @c @d @e @f }").unwrap_err().contains("directives"));
        let operations: String = (0..21).map(|i| format!("query Q{i} {{ __typename }} ")).collect();
        assert!(check(&operations).unwrap_err().contains("operations"));
        assert!(check("{ a: __typename b: __typename }").is_ok());
    }

    #[test]
    fn page_costs_multiply_and_saturate() {
        assert_eq!(page_cost(None, None, 2), 41);
        assert_eq!(page_cost(Some(100), None, 2), 201);
        assert_eq!(page_cost(None, Some(5), 2), 11);
        assert_eq!(page_cost(Some(0), None, 2), 3, "an empty page still costs its selection once");
        let huge = page_cost(Some(100), None, COST_CAP);
        assert_eq!(huge, 1 + COST_CAP);
    }
}
