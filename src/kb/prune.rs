//! Pruning imports: the entities a document does not hold are deleted, so that the knowledge
//! base equals the document.

use std::collections::HashMap;

use entity::{Shared, company, event, organisation, person, programme, technology};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::document::Document;
use super::import::{ImportSummary, slug_ids};
use crate::changelog::Touched;
use crate::error::{Problem, Result};
use entity::EntityKind;

/// Rows per DELETE.
const BATCH: usize = 1_000;

/// The entities of each kind that the database holds and the document does not: slug to id.
#[derive(Debug, Default)]
pub struct Pruned {
    organisations: HashMap<String, i32>,
    technologies: HashMap<String, i32>,
    programmes: HashMap<String, i32>,
    companies: HashMap<String, i32>,
    people: HashMap<String, i32>,
    events: HashMap<String, i32>,
    /// The stored taxonomy, technology slug to its parent's slug.
    technology_parents: HashMap<String, String>,
}

impl Pruned {
    pub fn is_empty(&self) -> bool {
        self.organisations.is_empty()
            && self.technologies.is_empty()
            && self.programmes.is_empty()
            && self.companies.is_empty()
            && self.people.is_empty()
            && self.events.is_empty()
    }

    fn of(&self, kind: EntityKind) -> &HashMap<String, i32> {
        match kind {
            EntityKind::Organisation => &self.organisations,
            EntityKind::Technology => &self.technologies,
            EntityKind::Programme => &self.programmes,
            EntityKind::Company => &self.companies,
            EntityKind::Person => &self.people,
            EntityKind::Event => &self.events,
        }
    }
}

/// Lists what a pruning import of `document` deletes.
pub async fn pruned(db: &impl ConnectionTrait, document: &Document) -> Result<Pruned> {
    fn absent<'a>(mut all: HashMap<String, i32>, named: impl Iterator<Item = &'a String>) -> HashMap<String, i32> {
        for slug in named {
            all.remove(slug);
        }
        all
    }
    let technologies = slug_ids::<technology::Entity>(db, technology::Column::Id, technology::Column::Slug).await?;
    let parents: Vec<(i32, i32)> = technology::Entity::find()
        .select_only()
        .column(technology::Column::Id)
        .column(technology::Column::ParentId)
        .filter(technology::Column::ParentId.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let slugs: HashMap<i32, &String> = technologies.iter().map(|(slug, id)| (*id, slug)).collect();
    let technology_parents = parents
        .into_iter()
        .filter_map(|(child, parent)| Some((slugs.get(&child)?.to_string(), slugs.get(&parent)?.to_string())))
        .collect();
    Ok(Pruned {
        organisations: absent(
            slug_ids::<organisation::Entity>(db, organisation::Column::Id, organisation::Column::Slug).await?,
            document.organisations.iter().map(|d| &d.slug),
        ),
        technologies: absent(technologies, document.technologies.iter().map(|d| &d.slug)),
        programmes: absent(
            slug_ids::<programme::Entity>(db, programme::Column::Id, programme::Column::Slug).await?,
            document.programmes.iter().map(|d| &d.slug),
        ),
        companies: absent(
            slug_ids::<company::Entity>(db, company::Column::Id, company::Column::Slug).await?,
            document.companies.iter().map(|d| &d.slug),
        ),
        people: absent(
            slug_ids::<person::Entity>(db, person::Column::Id, person::Column::Slug).await?,
            document.people.iter().map(|d| &d.slug),
        ),
        events: absent(
            slug_ids::<event::Entity>(db, event::Column::Id, event::Column::Slug).await?,
            document.events.iter().map(|d| &d.slug),
        ),
        technology_parents,
    })
}

/// The document's references to entities the prune would delete: each one blocks the import,
/// as a reference blocks the delete mutations, unless `force` clears them.
pub fn blockers(document: &Document, pruned: &Pruned) -> Vec<Problem> {
    let gone = |kind: EntityKind| match kind {
        EntityKind::Organisation => Some(&pruned.organisations),
        EntityKind::Technology => Some(&pruned.technologies),
        EntityKind::Programme => Some(&pruned.programmes),
        EntityKind::Company => Some(&pruned.companies),
        EntityKind::Person => Some(&pruned.people),
        EntityKind::Event => None,
    };
    let mut problems = Vec::new();
    for reference in document.references() {
        if gone(reference.kind).is_some_and(|gone| gone.contains_key(reference.slug)) {
            let (kind, slug) = (reference.kind.as_str().to_lowercase(), reference.slug);
            problems.push(Problem {
                path: reference.path,
                message: format!(
                    "{kind} {slug:?} is not in the document, so pruning deletes it; add it to the document, \
                     or force the import to clear this reference"
                ),
            });
        }
    }
    problems
}

/// The document with its references to pruned entities cleared, as the delete mutations clear
/// them with `force`: a technology whose parent goes moves up to its nearest kept ancestor.
pub fn clear_references(document: &Document, pruned: &Pruned) -> Document {
    let mut document = document.clone();
    let orgs = &pruned.organisations;
    for d in &mut document.technologies {
        let mut parent = d.parent.take();
        // Bounded, should the stored taxonomy hold a loop.
        for _ in 0..=pruned.technology_parents.len() {
            match parent {
                Some(p) if pruned.technologies.contains_key(&p) => parent = pruned.technology_parents.get(&p).cloned(),
                _ => break,
            }
        }
        d.parent = parent.filter(|p| !pruned.technologies.contains_key(p));
    }
    for d in &mut document.programmes {
        d.operator = d.operator.take().filter(|s| !orgs.contains_key(s));
        d.eligible_sites.retain(|s| !orgs.contains_key(s));
        d.required_memberships.retain(|s| !orgs.contains_key(s));
    }
    for d in &mut document.companies {
        d.site = d.site.take().filter(|s| !orgs.contains_key(s));
        d.technologies.retain(|s| !pruned.technologies.contains_key(s));
        d.programmes.retain(|s| !pruned.programmes.contains_key(s));
        d.memberships.retain(|s| !orgs.contains_key(s));
    }
    for d in &mut document.people {
        d.roles.retain(|r| !orgs.contains_key(&r.organisation));
    }
    for d in &mut document.events {
        d.site = d.site.take().filter(|s| !orgs.contains_key(s));
        d.organisers.retain(|s| !orgs.contains_key(s));
        d.companies.retain(|s| !pruned.companies.contains_key(s));
        d.people.retain(|s| !pruned.people.contains_key(s));
        d.organisations.retain(|s| !orgs.contains_key(s));
    }
    document
}

/// Deletes the pruned entities, those referring to others first, and records what the
/// search index must drop or rewrite. Links to them go with them.
pub async fn delete(db: &impl ConnectionTrait, pruned: &Pruned, summary: &mut ImportSummary) -> Result<()> {
    let mut changes: Vec<Touched> = Vec::new();
    // Referring kinds before the kinds they refer to.
    for kind in EntityKind::ALL.into_iter().rev() {
        let slugs = pruned.of(kind);
        let ids: Vec<i32> = slugs.values().copied().collect();
        if ids.is_empty() {
            continue;
        }
        // The documents showing these entities must be rewritten: list them while the links exist.
        let affected = super::index_source::dependents(db, kind, &ids).await?;
        changes.extend(affected.into_iter().map(|(kind, id)| Touched::Affected(kind, id)));
        changes.extend(slugs.iter().map(|(slug, &id)| Touched::Deleted(kind, id, slug.clone())));
        summary.touched.extend(ids.iter().map(|id| format!("{}:{id}", kind.as_str())));
        for chunk in ids.chunks(BATCH) {
            let delete = Query::delete()
                .from_table(Alias::new(kind.table()))
                .and_where(Expr::col(Shared::Id).is_in(chunk.iter().copied()))
                .to_owned();
            let deleted = db.execute(&delete).await?;
            // Counted from the database: a concurrent delete may have taken a row first.
            summary.counts_mut(kind).deleted += deleted.rows_affected() as usize;
        }
    }
    let logged = crate::changelog::record(db, changes).await?;
    summary.log(logged);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forcing_clears_references_and_moves_children_up_to_their_nearest_kept_ancestor() {
        let document = Document::parse(
            r#"{
            "technologies": [
                {"slug": "root", "name": "Root", "domain": "ENERGY", "lang": "en"},
                {"slug": "leaf", "name": "Leaf", "domain": "ENERGY", "lang": "en", "parent": "gone-child"}
            ],
            "companies": [{"slug": "c", "name": "C", "stage": "SME", "lang": "fr", "site": "gone-org",
                           "technologies": ["leaf", "gone-child"], "memberships": ["gone-org"]}]
        }"#,
        )
        .unwrap();
        let pruned = Pruned {
            organisations: HashMap::from([("gone-org".to_string(), 1)]),
            technologies: HashMap::from([("gone-child".to_string(), 2), ("gone-parent".to_string(), 3)]),
            technology_parents: HashMap::from([
                ("gone-child".to_string(), "gone-parent".to_string()),
                ("gone-parent".to_string(), "root".to_string()),
            ]),
            ..Pruned::default()
        };

        let paths: Vec<String> = blockers(&document, &pruned).into_iter().map(|p| p.path).collect();
        let cleared = clear_references(&document, &pruned);

        assert_eq!(
            paths,
            [
                "technologies[1].parent",
                "companies[0].site",
                "companies[0].technologies[1]",
                "companies[0].memberships[0]"
            ]
        );
        assert_eq!(cleared.technologies[1].parent.as_deref(), Some("root"));
        assert_eq!(cleared.companies[0].site, None);
        assert_eq!(cleared.companies[0].technologies, ["leaf"]);
        assert!(cleared.companies[0].memberships.is_empty());
        assert!(blockers(&cleared, &pruned).is_empty());
    }
}
