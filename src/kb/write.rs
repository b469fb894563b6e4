//! Writing one entity at a time (the GraphQL mutations), through the same checks and the same
//! write path as an import.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    Shared, company, company_membership, company_programme, company_technology, event, event_company,
    event_organisation, event_organiser, event_person, mentor_technology, organisation, person, programme, technology,
};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use super::Kb;
use super::document::Document;
use super::draft::{CompanyDraft, EventDraft, OrganisationDraft, PersonDraft, ProgrammeDraft, TechnologyDraft};
use super::import::{self, Mode};
use super::read::batch;
use super::{as_draft, model};
use crate::changelog::{self, Touched};
use crate::db::begin_write;
use crate::error::{AppError, Problem, Result};
use entity::EntityKind;

/// A kind of entity as the write services see it: its draft, its table, its place in a document.
pub trait Kind: Clone + Send + Sync + Sized + 'static {
    /// Its kind, which names its table and its list in a document.
    const KIND: EntityKind;

    fn slug(&self) -> &str;
    fn into_document(self) -> Document;
    /// The current draft of an entity, relations as slugs.
    fn load(db: &DatabaseTransaction, id: i32) -> impl Future<Output = Result<Option<Self>>> + Send;
}

/// Most entities one [`Kb::create_many`] may create.
pub const MAX_BULK: usize = 1_000;

/// Slug of the entity `id` of `kind`, if any.
async fn slug_of(db: &impl ConnectionTrait, kind: EntityKind, id: Option<i32>) -> Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    batch::slug_of(db, kind, id).await
}

/// The slugs of the organisations among `ids`, by id.
async fn organisation_slugs(db: &impl ConnectionTrait, ids: Vec<i32>) -> Result<HashMap<i32, String>> {
    let rows = organisation::Entity::find()
        .select_only()
        .columns([organisation::Column::Id, organisation::Column::Slug])
        .filter(organisation::Column::Id.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

impl Kind for OrganisationDraft {
    const KIND: EntityKind = EntityKind::Organisation;

    fn slug(&self) -> &str {
        &self.slug
    }

    fn into_document(self) -> Document {
        Document::new(vec![self], vec![], vec![], vec![])
    }

    async fn load(db: &DatabaseTransaction, id: i32) -> Result<Option<Self>> {
        Ok(batch::by_id(db, id).await?.map(as_draft::organisation))
    }
}

impl Kind for TechnologyDraft {
    const KIND: EntityKind = EntityKind::Technology;

    fn slug(&self) -> &str {
        &self.slug
    }

    fn into_document(self) -> Document {
        Document::new(vec![], vec![self], vec![], vec![])
    }

    async fn load(db: &DatabaseTransaction, id: i32) -> Result<Option<Self>> {
        let Some(m) = batch::by_id::<model::Technology>(db, id).await? else { return Ok(None) };
        let parent = slug_of(db, EntityKind::Technology, m.parent_id).await?;
        Ok(Some(as_draft::technology(m, parent)))
    }
}

impl Kind for ProgrammeDraft {
    const KIND: EntityKind = EntityKind::Programme;

    fn slug(&self) -> &str {
        &self.slug
    }

    fn into_document(self) -> Document {
        Document::new(vec![], vec![], vec![self], vec![])
    }

    async fn load(db: &DatabaseTransaction, id: i32) -> Result<Option<Self>> {
        let Some(m) = batch::by_id::<model::Programme>(db, id).await? else { return Ok(None) };
        let operator = slug_of(db, EntityKind::Organisation, m.operator_id).await?;
        let named = m.eligible_site_ids.iter().chain(&m.required_membership_ids).copied().collect();
        let org_slugs = organisation_slugs(db, named).await?;
        Ok(Some(as_draft::programme(m, operator, &org_slugs)))
    }
}

impl Kind for CompanyDraft {
    const KIND: EntityKind = EntityKind::Company;

    fn slug(&self) -> &str {
        &self.slug
    }

    fn into_document(self) -> Document {
        Document::new(vec![], vec![], vec![], vec![self])
    }

    async fn load(db: &DatabaseTransaction, id: i32) -> Result<Option<Self>> {
        let Some(m) = batch::by_id::<model::Company>(db, id).await? else { return Ok(None) };
        let site = slug_of(db, EntityKind::Organisation, m.site_id).await?;
        let technologies = linked_slugs::<technology::Entity, _>(
            db,
            (technology::Column::Id, technology::Column::Slug),
            (company_technology::Column::CompanyId, company_technology::Column::TechnologyId),
            id,
        )
        .await?;
        let programmes = linked_slugs::<programme::Entity, _>(
            db,
            (programme::Column::Id, programme::Column::Slug),
            (company_programme::Column::CompanyId, company_programme::Column::ProgrammeId),
            id,
        )
        .await?;
        let memberships = linked_slugs::<organisation::Entity, _>(
            db,
            (organisation::Column::Id, organisation::Column::Slug),
            (company_membership::Column::CompanyId, company_membership::Column::OrganisationId),
            id,
        )
        .await?;
        Ok(Some(as_draft::company(m, site, [technologies, programmes, memberships])))
    }
}

impl Kind for PersonDraft {
    const KIND: EntityKind = EntityKind::Person;

    fn slug(&self) -> &str {
        &self.slug
    }

    fn into_document(self) -> Document {
        Document::default().with_people(vec![self])
    }

    async fn load(db: &DatabaseTransaction, id: i32) -> Result<Option<Self>> {
        let Some(m) = batch::by_id::<model::Person>(db, id).await? else { return Ok(None) };
        let roles = batch::roles_of(db, &[id]).await?.remove(&id).unwrap_or_default();
        let org_slugs = organisation_slugs(db, roles.iter().map(|r| r.organisation_id).collect()).await?;
        let technologies = linked_slugs::<technology::Entity, _>(
            db,
            (technology::Column::Id, technology::Column::Slug),
            (mentor_technology::Column::PersonId, mentor_technology::Column::TechnologyId),
            id,
        )
        .await?;
        Ok(Some(as_draft::person(m, roles, &org_slugs, technologies)))
    }
}

impl Kind for EventDraft {
    const KIND: EntityKind = EntityKind::Event;

    fn slug(&self) -> &str {
        &self.slug
    }

    fn into_document(self) -> Document {
        Document::default().with_events(vec![self])
    }

    async fn load(db: &DatabaseTransaction, id: i32) -> Result<Option<Self>> {
        let Some(m) = batch::by_id::<model::Event>(db, id).await? else { return Ok(None) };
        let site = slug_of(db, EntityKind::Organisation, m.site_id).await?;
        let orgs = (organisation::Column::Id, organisation::Column::Slug);
        let organisers = linked_slugs::<organisation::Entity, _>(
            db,
            orgs,
            (event_organiser::Column::EventId, event_organiser::Column::OrganisationId),
            id,
        )
        .await?;
        let companies = linked_slugs::<company::Entity, _>(
            db,
            (company::Column::Id, company::Column::Slug),
            (event_company::Column::EventId, event_company::Column::CompanyId),
            id,
        )
        .await?;
        let people = linked_slugs::<person::Entity, _>(
            db,
            (person::Column::Id, person::Column::Slug),
            (event_person::Column::EventId, event_person::Column::PersonId),
            id,
        )
        .await?;
        let organisations = linked_slugs::<organisation::Entity, _>(
            db,
            orgs,
            (event_organisation::Column::EventId, event_organisation::Column::OrganisationId),
            id,
        )
        .await?;
        Ok(Some(as_draft::event(m, site, [organisers, companies, people, organisations])))
    }
}

/// Slugs of the `E` rows linked to a company (or an event) through the link table of `link` columns.
async fn linked_slugs<E: EntityTrait, L: ColumnTrait>(
    db: &impl ConnectionTrait,
    (id_col, slug_col): (E::Column, E::Column),
    (company_col, target_col): (L, L),
    company: i32,
) -> Result<Vec<String>> {
    let targets =
        Query::select().column(target_col).from(L::EntityName::default()).and_where(company_col.eq(company)).to_owned();
    Ok(E::find().select_only().column(slug_col).filter(id_col.in_subquery(targets)).into_tuple().all(db).await?)
}

/// Problems of a one-entity document, with paths relative to the mutation's `input`.
/// The problems of a document of one entity, as paths of the mutation's `input`.
fn as_input<D: Kind>(err: AppError) -> AppError {
    renamed(err, &format!("{}[0]", D::KIND.list_name()), "input")
}

/// The problems of a document of entities of one kind, as paths of the mutation's `inputs`.
fn as_inputs<D: Kind>(err: AppError) -> AppError {
    renamed(err, D::KIND.list_name(), "inputs")
}

/// `err`'s problems (or conflicting field) with the start of their paths `from` renamed `to`.
fn renamed(err: AppError, from: &str, to: &str) -> AppError {
    match err {
        AppError::Invalid(problems) => AppError::Invalid(
            problems.into_iter().map(|p| Problem { path: p.path.replacen(from, to, 1), message: p.message }).collect(),
        ),
        AppError::Conflict { message, field } => {
            AppError::Conflict { message, field: field.map(|f| f.replacen(from, to, 1)) }
        }
        other => other,
    }
}

fn slug_taken(field: &str, slug: &str) -> AppError {
    AppError::Conflict { message: format!("the slug {slug:?} is already taken"), field: Some(field.into()) }
}

/// The id of the entity of kind `D` with this slug.
async fn id_of<D: Kind>(db: &impl ConnectionTrait, slug: &str) -> Result<Option<i32>> {
    let query = Query::select()
        .column(Shared::Id)
        .from(Alias::new(D::KIND.table()))
        .and_where(Expr::col(Shared::Slug).eq(slug))
        .to_owned();
    let row = db.query_one(&query).await?;
    Ok(match row {
        Some(row) => Some(row.try_get::<i32>("", "id")?),
        None => None,
    })
}

/// Takes the row's write lock (a no-op update) so that concurrent updates of it run one after
/// the other; says whether the row exists.
async fn lock_row(db: &impl ConnectionTrait, table: &str, id: i32) -> Result<bool> {
    let update = Query::update()
        .table(Alias::new(table))
        .value(Shared::Id, Expr::col(Shared::Id))
        .and_where(Expr::col(Shared::Id).eq(id))
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected() > 0)
}

/// The audit line of a committed write: who, what, which entity.
fn audit(actor: &str, action: &str, kind: EntityKind, id: i32) {
    tracing::info!(target: "pepite::audit", actor, action, kind = kind.as_str(), id, "write");
}

/// A relation of a company that a link adds or removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompanyLink {
    Technology,
    Programme,
    Membership,
}

impl CompanyLink {
    /// The kind of entity at the other end.
    pub fn kind(self) -> EntityKind {
        match self {
            CompanyLink::Technology => EntityKind::Technology,
            CompanyLink::Programme => EntityKind::Programme,
            CompanyLink::Membership => EntityKind::Organisation,
        }
    }
}

fn not_found(kind: EntityKind) -> AppError {
    AppError::NotFound(format!("no {} has this id", kind.as_str().to_lowercase()))
}

impl Kb {
    /// Creates an entity; a taken slug is a conflict. Returns its id once it is searchable.
    pub async fn create<D: Kind>(&self, actor: &str, draft: D) -> Result<i32> {
        let ids = self.create_many(actor, vec![draft]).await.map_err(|err| renamed(err, "inputs[0]", "input"))?;
        ids.into_iter().next().ok_or_else(|| AppError::Internal("created row not found".into()))
    }

    /// Creates entities of one kind in one transaction, made searchable by one index commit: all
    /// of them, or none. Each problem names its item (`inputs[3].slug`); a taken slug is a
    /// conflict. Returns their ids, in order.
    pub async fn create_many<D: Kind>(&self, actor: &str, drafts: Vec<D>) -> Result<Vec<i32>> {
        if drafts.len() > MAX_BULK {
            let message = format!("at most {MAX_BULK} at once, not {}", drafts.len());
            return Err(AppError::Invalid(vec![Problem { path: "inputs".into(), message }]));
        }
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let slugs: Vec<String> = drafts.iter().map(|d| d.slug().to_string()).collect();
        let mut document = Document::default();
        for draft in drafts {
            document.append(draft.into_document());
        }
        let txn = begin_write(&self.db).await?;
        let existing = import::existing(&*txn, &document).await?;
        document.validate(&existing).map_err(as_inputs::<D>)?;
        for (i, slug) in slugs.iter().enumerate() {
            if id_of::<D>(&*txn, slug).await?.is_some() {
                return Err(slug_taken(&format!("inputs[{i}].slug"), slug));
            }
        }
        import::write(&txn, &document, Mode::Create, &(), None).await?;
        let mut ids = Vec::with_capacity(slugs.len());
        for slug in &slugs {
            ids.push(id_of::<D>(&*txn, slug).await?.ok_or_else(|| AppError::Internal("created row not found".into()))?);
        }
        self.commit(txn).await?;
        for &id in &ids {
            audit(actor, "create", D::KIND, id);
        }
        Ok(ids)
    }

    /// Changes an entity: `change` edits its current draft, which is then checked and written
    /// like an import. With `expected_updated_at`, refuses to overwrite a change made meanwhile.
    pub async fn update<D: Kind>(
        &self,
        actor: &str,
        id: i32,
        expected_updated_at: Option<DateTime<Utc>>,
        change: impl FnOnce(&mut D) -> Result<()> + Send,
    ) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        if !lock_row(&*txn, D::KIND.table(), id).await? {
            return Err(not_found(D::KIND));
        }
        if let Some(expected) = expected_updated_at {
            let current = updated_at(&*txn, D::KIND.table(), id).await?;
            if current != expected {
                return Err(AppError::Conflict {
                    message: format!(
                        "it changed since {expected} (last change: {current}); read it again before updating"
                    ),
                    field: Some("expectedUpdatedAt".into()),
                });
            }
        }
        let current = D::load(&txn, id).await?.ok_or_else(|| not_found(D::KIND))?;
        let mut draft = current.clone();
        change(&mut draft)?;
        let slug = draft.slug().to_string();
        let document = draft.into_document();
        let existing = import::existing(&*txn, &document).await?;
        document.validate(&existing).map_err(as_input::<D>)?;
        if slug != current.slug() {
            if id_of::<D>(&*txn, &slug).await?.is_some() {
                return Err(slug_taken("input.slug", &slug));
            }
            let rename = Query::update()
                .table(Alias::new(D::KIND.table()))
                .value(Shared::Slug, slug.clone())
                .and_where(Expr::col(Shared::Id).eq(id))
                .to_owned();
            txn.execute(&rename).await?;
        }
        import::write(&txn, &document, Mode::Upsert, &(), None).await?;
        self.commit(txn).await?;
        audit(actor, "update", D::KIND, id);
        Ok(())
    }

    /// Adds or removes one link of a company (seen from both sides: it is one row), through
    /// [`Kb::update`]. Says `false`, writing nothing, when `other` is no entity of the link's kind.
    pub async fn relink(&self, actor: &str, company: i32, link: CompanyLink, other: i32, add: bool) -> Result<bool> {
        let Some(slug) = super::read::batch::slug_of(&self.db, link.kind(), other).await? else { return Ok(false) };
        self.update::<CompanyDraft>(actor, company, None, |draft| {
            let list = match link {
                CompanyLink::Technology => &mut draft.technologies,
                CompanyLink::Programme => &mut draft.programmes,
                CompanyLink::Membership => &mut draft.memberships,
            };
            list.retain(|s| s != &slug);
            if add {
                list.push(slug);
            }
            Ok(())
        })
        .await?;
        Ok(true)
    }

    /// Deletes an entity. Links to it go with it; a technology's children move up to its parent;
    /// an organisation that hosts companies or events or runs programmes is kept unless `force`,
    /// which clears those references.
    pub async fn delete(&self, actor: &str, kind: EntityKind, id: i32, force: bool) -> Result<()> {
        let txn = begin_write(&self.db).await?;
        let table = kind.table();
        if !lock_row(&*txn, table, id).await? {
            return Err(not_found(kind));
        }
        // The documents showing this entity must be rewritten: list them while the links exist.
        let mut changes = super::index_source::dependents(&*txn, kind, &[id]).await?;
        let slug: String = txn
            .query_one(
                &Query::select()
                    .column(Shared::Slug)
                    .from(Alias::new(table))
                    .and_where(Expr::col(Shared::Id).eq(id))
                    .to_owned(),
            )
            .await?
            .map(|row| row.try_get("", "slug"))
            .transpose()?
            .ok_or_else(|| not_found(kind))?;
        match kind {
            EntityKind::Technology => changes.extend(reparent_children(&txn, id).await?),
            EntityKind::Organisation => changes.extend(release_organisation(&txn, id, force).await?),
            EntityKind::Company | EntityKind::Programme | EntityKind::Person | EntityKind::Event => {}
        }
        let delete = Query::delete().from_table(Alias::new(table)).and_where(Expr::col(Shared::Id).eq(id)).to_owned();
        txn.execute(&delete).await?;
        let touched = changes.into_iter().map(|(kind, id)| Touched::Affected(kind, id));
        changelog::record(&*txn, touched.chain([Touched::Deleted(kind, id, slug)])).await?;
        self.commit(txn).await?;
        audit(actor, "delete", kind, id);
        Ok(())
    }
}

/// Moves the children of technology `id` up to its parent; returns them (their documents change).
async fn reparent_children(txn: &DatabaseTransaction, id: i32) -> Result<Vec<(EntityKind, i32)>> {
    let parent: Option<Option<i32>> = technology::Entity::find_by_id(id)
        .select_only()
        .column(technology::Column::ParentId)
        .into_tuple()
        .one(txn)
        .await?;
    let children: Vec<i32> = technology::Entity::find()
        .select_only()
        .column(technology::Column::Id)
        .filter(technology::Column::ParentId.eq(id))
        .into_tuple()
        .all(txn)
        .await?;
    technology::Entity::update_many()
        .col_expr(technology::Column::ParentId, Expr::value(parent.flatten()))
        .filter(technology::Column::ParentId.eq(id))
        .exec(txn)
        .await?;
    Ok(children.into_iter().map(|child| (EntityKind::Technology, child)).collect())
}

/// The ids of the rows of `E` whose `column` is `id`.
async fn ids_where<E: EntityTrait>(
    txn: &DatabaseTransaction,
    (id_col, column): (E::Column, E::Column),
    id: i32,
) -> Result<Vec<i32>> {
    Ok(E::find().select_only().column(id_col).filter(column.eq(id)).into_tuple().all(txn).await?)
}

/// Clears the references to organisation `id` (host site, operator, event site, programme
/// criteria) when `force`, refuses with `CONFLICT` otherwise; returns the programmes whose
/// criteria changed.
async fn release_organisation(txn: &DatabaseTransaction, id: i32, force: bool) -> Result<Vec<(EntityKind, i32)>> {
    let hosted = ids_where::<company::Entity>(txn, (company::Column::Id, company::Column::SiteId), id).await?;
    let operated =
        ids_where::<programme::Entity>(txn, (programme::Column::Id, programme::Column::OperatorId), id).await?;
    let sited = ids_where::<event::Entity>(txn, (event::Column::Id, event::Column::SiteId), id).await?;
    let criteria = programmes_naming(txn, id).await?;
    if !force && (!hosted.is_empty() || !operated.is_empty() || !sited.is_empty() || !criteria.is_empty()) {
        let events = if sited.is_empty() { String::new() } else { format!(" and {} events", sited.len()) };
        let mut message = format!("it hosts {} companies{events} and runs {} programmes", hosted.len(), operated.len());
        if !criteria.is_empty() {
            message.push_str(&format!(", and {} programmes name it in their criteria", criteria.len()));
        }
        message.push_str("; delete with `force: true` to clear those references");
        return Err(AppError::Conflict { message, field: Some("force".into()) });
    }
    event::Entity::update_many()
        .col_expr(event::Column::SiteId, Expr::value(Option::<i32>::None))
        .filter(event::Column::SiteId.eq(id))
        .exec(txn)
        .await?;
    for (programme, sites, memberships) in &criteria {
        programme::Entity::update_many()
            .col_expr(programme::Column::EligibleSiteIds, Expr::value(serde_json::json!(sites)))
            .col_expr(programme::Column::RequiredMembershipIds, Expr::value(serde_json::json!(memberships)))
            .filter(programme::Column::Id.eq(*programme))
            .exec(txn)
            .await?;
    }
    company::Entity::update_many()
        .col_expr(company::Column::SiteId, Expr::value(Option::<i32>::None))
        .filter(company::Column::SiteId.eq(id))
        .exec(txn)
        .await?;
    programme::Entity::update_many()
        .col_expr(programme::Column::OperatorId, Expr::value(Option::<i32>::None))
        .filter(programme::Column::OperatorId.eq(id))
        .exec(txn)
        .await?;
    Ok(criteria.iter().map(|(programme, _, _)| (EntityKind::Programme, *programme)).collect())
}

/// The programmes whose eligible sites or required memberships name organisation `id`, each
/// with those two lists once `id` is removed from them.
async fn programmes_naming(db: &impl ConnectionTrait, id: i32) -> Result<Vec<(i32, Vec<i32>, Vec<i32>)>> {
    // A park runs dozens of programmes: reading their criteria is cheaper than a JSON query per backend.
    let rows: Vec<(i32, serde_json::Value, serde_json::Value)> = programme::Entity::find()
        .select_only()
        .columns([programme::Column::Id, programme::Column::EligibleSiteIds, programme::Column::RequiredMembershipIds])
        .into_tuple()
        .all(db)
        .await?;
    let without = |list: Vec<i32>| list.into_iter().filter(|&other| other != id).collect::<Vec<i32>>();
    let mut naming = Vec::new();
    for (programme, sites, memberships) in rows {
        let sites: Vec<i32> = model::decode(sites, "programme", programme, "eligible_site_ids")?;
        let memberships: Vec<i32> = model::decode(memberships, "programme", programme, "required_membership_ids")?;
        if sites.contains(&id) || memberships.contains(&id) {
            naming.push((programme, without(sites), without(memberships)));
        }
    }
    Ok(naming)
}

async fn updated_at(db: &impl ConnectionTrait, table: &str, id: i32) -> Result<DateTime<Utc>> {
    let query = Query::select()
        .column(Shared::UpdatedAt)
        .from(Alias::new(table))
        .and_where(Expr::col(Shared::Id).eq(id))
        .to_owned();
    let row = db.query_one(&query).await?.ok_or_else(|| AppError::NotFound("no such record".into()))?;
    Ok(row.try_get::<DateTime<Utc>>("", "updated_at")?)
}
