//! The reads the GraphQL layer asks of the knowledge base: lists, batch loads for its loaders,
//! advice, search and the change feed, so that it never touches the database or the index itself.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{company, event, organisation};
use sea_orm::{ColumnTrait, Condition};
use tokio::sync::watch;

use super::model::{self, Stored};
use super::read::{self, OrderBy, Page, Slice, Window, batch};
use super::{EntityKind, Kb, advice};
use crate::changelog;
use crate::error::Result;
use crate::geo::Area;
use crate::search::facets::Facet;
use crate::search::query::{Found, SearchRequest, Suggestion};

/// A list filtered by an area takes at most this many entities in the area, as a condition.
const MAX_IN_AREA: usize = 10_000;

/// Lists, filtered, sorted and sliced as [`read`] takes them.
impl Kb {
    /// A page of the companies matching `filter`, with a point in `area` when given.
    pub async fn companies(
        &self,
        filter: &read::CompanyFilter,
        area: Option<Area>,
        order: OrderBy,
        slice: &Slice,
    ) -> Result<Page<model::Company>> {
        let within = self.in_area(EntityKind::Company, area, company::Column::Id).await?;
        read::companies_within(&self.db, within, filter, order, slice).await
    }

    /// The entities of a kind with a point in `area` (every entity without one), as a condition
    /// on their id column: the index knows where they are.
    async fn in_area(&self, kind: EntityKind, area: Option<Area>, id: impl ColumnTrait) -> Result<Condition> {
        Ok(match area {
            None => Condition::all(),
            Some(area) => {
                let ids = self.search.in_area(kind, area, MAX_IN_AREA).await?;
                Condition::all().add(id.is_in(ids))
            }
        })
    }

    /// A page of the technologies matching `filter`.
    pub async fn technologies(
        &self,
        filter: &read::TechnologyFilter,
        order: OrderBy,
        slice: &Slice,
    ) -> Result<Page<model::Technology>> {
        read::technologies(&self.db, filter, order, slice).await
    }

    /// A page of the programmes matching `filter`.
    pub async fn programmes(
        &self,
        filter: &read::ProgrammeFilter,
        order: OrderBy,
        slice: &Slice,
    ) -> Result<Page<model::Programme>> {
        read::programmes(&self.db, filter, order, slice).await
    }

    /// A page of the organisations matching `filter`, with a point in `area` when given.
    pub async fn organisations(
        &self,
        filter: &read::OrganisationFilter,
        area: Option<Area>,
        order: OrderBy,
        slice: &Slice,
    ) -> Result<Page<model::Organisation>> {
        let within = self.in_area(EntityKind::Organisation, area, organisation::Column::Id).await?;
        read::organisations(&self.db, within, filter, order, slice).await
    }

    /// A page of the people matching `filter`.
    pub async fn people(
        &self,
        filter: &read::PersonFilter,
        order: OrderBy,
        slice: &Slice,
    ) -> Result<Page<model::Person>> {
        read::people(&self.db, filter, order, slice).await
    }

    /// A page of the events matching `filter`, at a site in `area` when given.
    pub async fn events(
        &self,
        filter: &read::EventFilter,
        area: Option<Area>,
        order: OrderBy,
        slice: &Slice,
    ) -> Result<Page<model::Event>> {
        let within = self.in_area(EntityKind::Event, area, event::Column::Id).await?;
        read::events(&self.db, within, filter, order, slice).await
    }

    /// The roles held at an organisation, with their people: how many there are, and those of `window`.
    pub async fn roles_at(
        &self,
        organisation: i32,
        window: Window,
    ) -> Result<(u64, Vec<(model::Role, model::Person)>)> {
        read::roles_at(&self.db, organisation, window).await
    }
}

/// Entities by key, and relations read for many owners at once (the loaders' statements).
impl Kb {
    /// The entity of type `S` with this id.
    pub async fn by_id<S: Stored>(&self, id: i32) -> Result<Option<S>> {
        batch::by_id(&self.db, id).await
    }

    /// The entity of type `S` with this slug.
    pub async fn by_slug<S: Stored>(&self, slug: &str) -> Result<Option<S>> {
        batch::by_slug(&self.db, slug).await
    }

    /// The entities of type `S` with these slugs, in no particular order.
    pub async fn by_slugs<S: Stored>(&self, slugs: &[String]) -> Result<Vec<S>> {
        batch::by_slugs(&self.db, slugs).await
    }

    /// The entities of type `S` with these ids, in no particular order.
    pub async fn by_ids<S: Stored>(&self, ids: &[i32]) -> Result<Vec<S>> {
        batch::by_ids(&self.db, ids).await
    }

    /// The technologies of each of these companies.
    pub async fn technologies_of(&self, companies: &[i32]) -> Result<HashMap<i32, Vec<model::Technology>>> {
        batch::technologies_of(&self.db, companies).await
    }

    /// The programmes each of these companies takes part in.
    pub async fn programmes_of(&self, companies: &[i32]) -> Result<HashMap<i32, Vec<model::Programme>>> {
        batch::programmes_of(&self.db, companies).await
    }

    /// The organisations each of these companies belongs to.
    pub async fn memberships_of(&self, companies: &[i32]) -> Result<HashMap<i32, Vec<model::Organisation>>> {
        batch::memberships_of(&self.db, companies).await
    }

    /// The organisers of each of these events.
    pub async fn organisers_of(&self, events: &[i32]) -> Result<HashMap<i32, Vec<model::Organisation>>> {
        batch::organisers_of(&self.db, events).await
    }

    /// The companies that took part in each of these events.
    pub async fn companies_at(&self, events: &[i32]) -> Result<HashMap<i32, Vec<model::Company>>> {
        batch::companies_at(&self.db, events).await
    }

    /// The people who took part in each of these events.
    pub async fn people_at(&self, events: &[i32]) -> Result<HashMap<i32, Vec<model::Person>>> {
        batch::people_at(&self.db, events).await
    }

    /// The organisations that took part in each of these events.
    pub async fn organisations_at(&self, events: &[i32]) -> Result<HashMap<i32, Vec<model::Organisation>>> {
        batch::organisations_at(&self.db, events).await
    }

    /// The direct children of each of these technologies.
    pub async fn children_of(&self, parents: &[i32]) -> Result<HashMap<i32, Vec<model::Technology>>> {
        batch::children_of(&self.db, parents).await
    }

    /// The technologies each of these people's mentor offers names, by name.
    pub async fn mentor_technologies_of(&self, people: &[i32]) -> Result<HashMap<i32, Vec<model::Technology>>> {
        let links = batch::mentor_technologies_of(&self.db, people).await?;
        let ids: Vec<i32> = links.values().flatten().copied().collect();
        let found: HashMap<i32, model::Technology> =
            batch::by_ids::<model::Technology>(&self.db, &ids).await?.into_iter().map(|t| (t.header.id, t)).collect();
        Ok(links
            .into_iter()
            .map(|(person, ids)| {
                let mut list: Vec<model::Technology> = ids.iter().filter_map(|id| found.get(id).cloned()).collect();
                list.sort_by(|a, b| a.header.name_key.cmp(&b.header.name_key));
                (person, list)
            })
            .collect())
    }

    /// The roles of each of these people, in their order.
    pub async fn roles_of(&self, people: &[i32]) -> Result<HashMap<i32, Vec<model::Role>>> {
        batch::roles_of(&self.db, people).await
    }
}

/// Eligibility: which programmes a company may join, which companies a programme is open to.
impl Kb {
    /// Every programme, checked for one company and ranked.
    pub async fn eligible_programmes(&self, company: i32, today: NaiveDate) -> Result<Vec<advice::Eligibility>> {
        advice::eligibility::eligible_programmes(&self.db, company, today).await
    }

    /// A page of the companies meeting every criterion of a programme, among those matching `filter`.
    pub async fn eligible_companies(
        &self,
        programme: &model::Programme,
        today: NaiveDate,
        filter: &read::CompanyFilter,
        order: OrderBy,
        slice: &Slice,
    ) -> Result<Page<model::Company>> {
        advice::eligibility::eligible_companies(&self.db, programme, today, (filter, order, slice)).await
    }
}

/// Search, and the change feed that subscriptions follow.
impl Kb {
    /// Runs a search; a technology filter matches each technology named and every one below it.
    pub async fn search(&self, mut request: SearchRequest) -> Result<Found> {
        if let Some(slugs) = &request.filter.technology {
            request.filter.technology = Some(read::technology_descendants(&self.db, slugs).await?);
        }
        self.search.search(request).await
    }

    /// Entities most like a given one, never itself, from `offset`, at most `limit` of them.
    pub async fn similar(
        &self,
        kind: EntityKind,
        id: i32,
        kinds: Vec<EntityKind>,
        offset: usize,
        limit: usize,
        facets: Vec<Facet>,
    ) -> Result<Found> {
        self.search.similar(kind, id, kinds, offset, limit, facets).await
    }

    /// Names for search-as-you-type: earlier words whole, the last one as a prefix.
    pub async fn suggest(&self, prefix: String, kinds: Vec<EntityKind>, limit: usize) -> Result<Vec<Suggestion>> {
        self.search.suggest(prefix, kinds, limit).await
    }

    /// The position in the change log this replica's index has applied, updated as it applies more.
    pub fn applied_changes(&self) -> watch::Receiver<i64> {
        self.search.applied()
    }

    /// Up to `limit` change-log entries after `position`, in log order.
    pub async fn changes_after(&self, position: i64, limit: u64) -> Result<changelog::Page> {
        changelog::after(&self.db, position, limit).await
    }

    /// The position before the oldest change the log still keeps.
    pub async fn changes_low_water(&self) -> Result<i64> {
        changelog::low_water(&self.db).await
    }
}
