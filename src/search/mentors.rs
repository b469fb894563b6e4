//! Candidates for mentoring: the experts whose offers share the most weighted terms with a
//! company, and the companies an expert's offer fits, read from the index so that the cost
//! follows the matches, not the size of the knowledge base.

use entity::{CompanyStage, EntityKind, Lang, TechnologyDomain, Topic};
use tantivy::TantivyDocument;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};

use super::SearchIndex;
use super::partners::{Shared, shared_query};
use super::pool::bounded;
use super::terms::term;
use crate::error::Result;

/// A term of a mentor's offer in the index (the `mentoring` field).
#[derive(Clone, Debug, PartialEq)]
pub enum Offered {
    /// Every person with an offer has it.
    Mentor,
    Topic(Topic),
    /// A technology they know, by slug.
    Technology(String),
    Domain(TechnologyDomain),
    /// A stage they prefer to help.
    Stage(CompanyStage),
    Language(Lang),
    /// An organisation they hold a role at, by slug.
    Organisation(String),
}

impl Offered {
    /// The term as indexed.
    pub fn term(&self) -> String {
        match self {
            Offered::Mentor => "mentor".into(),
            Offered::Topic(t) => format!("topic:{}", t.as_str()),
            Offered::Technology(slug) => format!("technology:{slug}"),
            Offered::Domain(d) => format!("domain:{}", d.as_str()),
            Offered::Stage(s) => format!("stage:{}", s.as_str()),
            Offered::Language(l) => format!("lang:{}", l.as_str()),
            Offered::Organisation(slug) => format!("organisation:{slug}"),
        }
    }
}

/// A company's need, as indexed in the `mentoring` field.
pub fn need_term(topic: Topic) -> String {
    format!("need:{}", topic.as_str())
}

/// Each term adds its weight once: the sum is the score.
fn weighted(queries: Vec<(Box<dyn Query>, f32)>) -> Box<dyn Query> {
    Box::new(BooleanQuery::union(
        queries
            .into_iter()
            .map(|(query, weight)| Box::new(ConstScoreQuery::new(query, weight)) as Box<dyn Query>)
            .collect(),
    ))
}

fn unscored(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, 0.0))
}

impl SearchIndex {
    /// Up to `limit` people with an offer that share at least one of `required` (topics,
    /// technologies, domains, organisations), best first by the sum of the weights of what they
    /// share, `bonus` (stages, languages) included: (person id, that sum).
    pub async fn mentor_candidates(
        &self,
        required: Vec<(Offered, f32)>,
        bonus: Vec<(Offered, f32)>,
        limit: usize,
    ) -> Result<Vec<(i32, f32)>> {
        if required.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let this = self.clone();
        bounded(move || {
            let f = &this.fields;
            let exact = |field, value: &str| {
                Box::new(TermQuery::new(term(field, value), IndexRecordOption::Basic)) as Box<dyn Query>
            };
            let offered = |list: &[(Offered, f32)]| {
                weighted(list.iter().map(|(o, w)| (exact(f.mentoring, &o.term()), *w)).collect())
            };
            let mut clauses = vec![
                (Occur::Must, unscored(exact(f.kind, EntityKind::Person.as_str()))),
                (Occur::Must, unscored(exact(f.mentoring, &Offered::Mentor.term()))),
                (Occur::Must, offered(&required)),
            ];
            if !bonus.is_empty() {
                clauses.push((Occur::Should, offered(&bonus)));
            }
            top_ids(&this, &BooleanQuery::new(clauses), limit)
        })
        .await
    }

    /// Up to `limit` companies that share at least one of `required` with an expert (needs,
    /// technologies, domains, memberships, sites, programmes), best first by the sum of the
    /// weights of what they share, `bonus` (stages) included: (company id, that sum).
    pub async fn mentee_candidates(
        &self,
        required: Vec<(Shared, f32)>,
        bonus: Vec<(Shared, f32)>,
        limit: usize,
    ) -> Result<Vec<(i32, f32)>> {
        if required.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let this = self.clone();
        bounded(move || {
            let f = &this.fields;
            let shared = |list: &[(Shared, f32)]| {
                weighted(list.iter().map(|(s, w)| (Box::new(shared_query(f, s)) as Box<dyn Query>, *w)).collect())
            };
            let kind = TermQuery::new(term(f.kind, EntityKind::Company.as_str()), IndexRecordOption::Basic);
            let mut clauses = vec![(Occur::Must, unscored(Box::new(kind))), (Occur::Must, shared(&required))];
            if !bonus.is_empty() {
                clauses.push((Occur::Should, shared(&bonus)));
            }
            top_ids(&this, &BooleanQuery::new(clauses), limit)
        })
        .await
    }
}

/// The ids of the best `limit` documents for `query`, with their scores.
fn top_ids(index: &SearchIndex, query: &dyn Query, limit: usize) -> Result<Vec<(i32, f32)>> {
    let f = &index.fields;
    let searcher = index.reader.searcher();
    let top = searcher.search(query, &TopDocs::with_limit(limit).order_by_score())?;
    top.into_iter()
        .map(|(score, address)| {
            let doc: TantivyDocument = searcher.doc(address)?;
            let id = doc.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or_default() as i32;
            Ok((id, score))
        })
        .collect()
}
