//! Candidates for a company's partners: the companies of the given stages that share the most
//! weighted terms (technologies, domains, memberships, programmes, site) with it, read from the
//! index so that the cost follows the matches, not the size of the knowledge base.

use entity::{CompanyStage, TechnologyDomain, Topic};
use tantivy::TantivyDocument;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};

use super::SearchIndex;
use super::document::key;
use super::geo::AreaFilter;
use super::matches::{Restrictions, all_of};
use super::pool::bounded;
use super::terms::term;
use crate::error::Result;
use crate::geo::Area;
use entity::EntityKind;
use std::sync::Arc;

/// A term a candidate may share with the company, and what sharing it is worth.
#[derive(Clone, Debug, PartialEq)]
pub enum Shared {
    /// A technology, by slug.
    Technology(String),
    Domain(TechnologyDomain),
    /// An organisation the company belongs to, by slug.
    Membership(String),
    /// A programme the company takes part in, by slug.
    Programme(String),
    /// The organisation hosting the company, by slug.
    Site(String),
    /// What the company needs help with.
    Need(Topic),
    /// The company's stage.
    Stage(CompanyStage),
}

/// The query matching the companies that have `shared`.
pub(super) fn shared_query(f: &super::schema::Fields, shared: &Shared) -> TermQuery {
    let exact = |field, value: &str| TermQuery::new(term(field, value), IndexRecordOption::Basic);
    match shared {
        Shared::Technology(slug) => exact(f.technology, slug),
        Shared::Domain(domain) => exact(f.domain, domain.as_str()),
        Shared::Membership(slug) => exact(f.membership, slug),
        Shared::Programme(slug) => exact(f.programme, slug),
        Shared::Site(slug) => exact(f.site, slug),
        Shared::Need(topic) => exact(f.mentoring, &super::mentors::need_term(*topic)),
        Shared::Stage(stage) => exact(f.stage, stage.as_str()),
    }
}

impl SearchIndex {
    /// Up to `limit` companies of `stages`, other than `company`, with the highest sum of the
    /// weights of the terms they share, best first: (company id, that sum).
    pub async fn partner_candidates(
        &self,
        company: i32,
        stages: Vec<CompanyStage>,
        terms: Vec<(Shared, f32)>,
        area: Option<Area>,
        limit: usize,
    ) -> Result<Vec<(i32, f32)>> {
        if terms.is_empty() || stages.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let this = self.clone();
        bounded(move || {
            let f = &this.fields;
            let exact = |field, value: &str| TermQuery::new(term(field, value), IndexRecordOption::Basic);
            let any_stage = BooleanQuery::union(
                stages.iter().map(|s| Box::new(exact(f.stage, s.as_str())) as Box<dyn Query>).collect(),
            );
            // Each shared term adds its weight, whatever how often it occurs: the sum is the score.
            let shared: Vec<Box<dyn Query>> = terms
                .iter()
                .map(|(shared, weight)| {
                    Box::new(ConstScoreQuery::new(Box::new(shared_query(f, shared)), *weight)) as Box<dyn Query>
                })
                .collect();
            let searcher = this.reader.searcher();
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(Box::new(exact(f.kind, EntityKind::Company.as_str())), 0.0)),
                ),
                (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(any_stage), 0.0))),
                (Occur::Must, Box::new(BooleanQuery::union(shared))),
                (Occur::MustNot, Box::new(exact(f.key, &key(EntityKind::Company, company)))),
            ];
            if let Some(area) = area {
                let area = Some(Arc::new(AreaFilter::new(area, f.cell)));
                let within = all_of(Restrictions { list: Vec::new(), ordinals: this.ordinals.clone(), area });
                clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(within, 0.0))));
            }
            let query = BooleanQuery::new(clauses);
            let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
            top.into_iter()
                .map(|(score, address)| {
                    let doc: TantivyDocument = searcher.doc(address)?;
                    let id = doc.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or_default() as i32;
                    Ok((id, score))
                })
                .collect()
        })
        .await
    }
}

impl SearchIndex {
    /// For each organisation (by slug) and each domain, how many companies belong to it and work
    /// in that domain; pairs with none are left out.
    pub async fn members_by_domain(
        &self,
        organisations: Vec<String>,
        domains: Vec<TechnologyDomain>,
    ) -> Result<Vec<(String, TechnologyDomain, usize)>> {
        if organisations.is_empty() || domains.is_empty() {
            return Ok(Vec::new());
        }
        let this = self.clone();
        bounded(move || {
            let f = &this.fields;
            let exact = |field, value: &str| {
                Box::new(TermQuery::new(term(field, value), IndexRecordOption::Basic)) as Box<dyn Query>
            };
            let searcher = this.reader.searcher();
            let mut out = Vec::new();
            for organisation in &organisations {
                for &domain in &domains {
                    let query = BooleanQuery::new(vec![
                        (Occur::Must, exact(f.kind, EntityKind::Company.as_str())),
                        (Occur::Must, exact(f.membership, organisation)),
                        (Occur::Must, exact(f.domain, domain.as_str())),
                    ]);
                    let count = searcher.search(&query, &tantivy::collector::Count)?;
                    if count > 0 {
                        out.push((organisation.clone(), domain, count));
                    }
                }
            }
            Ok(out)
        })
        .await
    }
}
