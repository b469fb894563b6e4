//! Which index documents show an entity, and must be rewritten when it changes.

use entity::{
    EntityKind, company, company_membership, company_programme, company_technology, event, event_company,
    event_organisation, event_organiser, event_person, mentor_technology, person_role, programme,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::Result;

/// Above this many companies, their dependents are read from whole tables: everything any
/// company links to, and every event showing any company. A superset, read in one pass of each
/// table instead of an index lookup per link.
pub(super) const WHOLE_TABLES: usize = 100_000;

/// The technologies, programmes and organisations (memberships and sites) the given companies
/// link to, or that any company links to (`None`).
pub async fn linked_by_companies(
    db: &impl ConnectionTrait,
    companies: Option<&[i32]>,
) -> Result<Vec<(EntityKind, i32)>> {
    use {company_membership::Column as CM, company_programme::Column as CP, company_technology::Column as CT};
    let mut out: Vec<(EntityKind, i32)> = Vec::new();
    let technologies = targets::<company_technology::Entity>(db, CT::CompanyId, CT::TechnologyId, companies).await?;
    out.extend(technologies.into_iter().map(|id| (EntityKind::Technology, id)));
    let programmes = targets::<company_programme::Entity>(db, CP::CompanyId, CP::ProgrammeId, companies).await?;
    out.extend(programmes.into_iter().map(|id| (EntityKind::Programme, id)));
    let members = targets::<company_membership::Entity>(db, CM::CompanyId, CM::OrganisationId, companies).await?;
    out.extend(members.into_iter().map(|id| (EntityKind::Organisation, id)));
    let sites = targets::<company::Entity>(db, company::Column::Id, company::Column::SiteId, companies).await?;
    out.extend(sites.into_iter().map(|id| (EntityKind::Organisation, id)));
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The distinct values of `target` in the rows of `E` whose `company` is one of `companies`
/// (any row with `None`).
async fn targets<E: EntityTrait>(
    db: &impl ConnectionTrait,
    company: E::Column,
    target: E::Column,
    companies: Option<&[i32]>,
) -> Result<Vec<i32>> {
    let mut query = E::find().select_only().column(target).distinct();
    if let Some(ids) = companies {
        query = query.filter(company.is_in(ids.iter().copied()));
    }
    Ok(query.into_tuple::<Option<i32>>().all(db).await?.into_iter().flatten().collect())
}

/// The values of `select` in the rows of `E` whose `by` is one of `ids`.
async fn column_where<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: E::Column,
    by: E::Column,
    ids: &[i32],
) -> Result<Vec<i32>> {
    let query = E::find().select_only().column(select).filter(by.is_in(ids.iter().copied()));
    Ok(query.into_tuple::<i32>().all(db).await?)
}

/// The entities whose index documents show something of the given ones, and must be rewritten
/// when they change.
pub async fn dependents(db: &impl ConnectionTrait, kind: EntityKind, ids: &[i32]) -> Result<Vec<(EntityKind, i32)>> {
    if kind == EntityKind::Company && ids.len() > WHOLE_TABLES {
        let mut out = linked_by_companies(db, None).await?;
        let events = event_company::Entity::find().select_only().column(event_company::Column::EventId).distinct();
        out.extend(events.into_tuple::<i32>().all(db).await?.into_iter().map(|id| (EntityKind::Event, id)));
        return Ok(out);
    }
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        out.extend(showing(db, kind, chunk).await?);
        out.extend(events_showing(db, kind, chunk).await?.into_iter().map(|id| (EntityKind::Event, id)));
    }
    Ok(out)
}

/// The companies, programmes and people whose documents show the given entities (mentors show
/// the technologies they know).
async fn showing(db: &impl ConnectionTrait, kind: EntityKind, ids: &[i32]) -> Result<Vec<(EntityKind, i32)>> {
    use {company_programme::Column as CP, company_technology::Column as CT};
    let companies = |ids: Vec<i32>| ids.into_iter().map(|id| (EntityKind::Company, id));
    Ok(match kind {
        // What a company links to shows how many companies link to it (`suggest` ranks by it).
        EntityKind::Company => linked_by_companies(db, Some(ids)).await?,
        EntityKind::Technology => {
            use mentor_technology::Column as MT;
            let people = column_where::<mentor_technology::Entity>(db, MT::PersonId, MT::TechnologyId, ids).await?;
            companies(column_where::<company_technology::Entity>(db, CT::CompanyId, CT::TechnologyId, ids).await?)
                .chain(people.into_iter().map(|id| (EntityKind::Person, id)))
                .collect()
        }
        EntityKind::Programme => {
            companies(column_where::<company_programme::Entity>(db, CP::CompanyId, CP::ProgrammeId, ids).await?)
                .collect()
        }
        EntityKind::Organisation => showing_organisations(db, ids).await?,
        EntityKind::Person | EntityKind::Event => Vec::new(),
    })
}

/// The documents showing the given organisations: the programmes they operate, the people with
/// roles there, and the companies that are members or hosted there.
async fn showing_organisations(db: &impl ConnectionTrait, ids: &[i32]) -> Result<Vec<(EntityKind, i32)>> {
    use company_membership::Column as CM;
    let mut out = Vec::new();
    let members = column_where::<company_membership::Entity>(db, CM::CompanyId, CM::OrganisationId, ids).await?;
    let hosted = column_where::<company::Entity>(db, company::Column::Id, company::Column::SiteId, ids).await?;
    let operated = column_where::<programme::Entity>(db, programme::Column::Id, programme::Column::OperatorId, ids);
    out.extend(operated.await?.into_iter().map(|id| (EntityKind::Programme, id)));
    let people = person_role::Entity::find()
        .select_only()
        .column(person_role::Column::PersonId)
        .filter(person_role::Column::OrganisationId.is_in(ids.iter().copied()))
        .distinct()
        .into_tuple::<i32>()
        .all(db)
        .await?;
    out.extend(people.into_iter().map(|id| (EntityKind::Person, id)));
    out.extend(members.into_iter().chain(hosted).map(|id| (EntityKind::Company, id)));
    Ok(out)
}

/// The events whose documents show the given entities: as site, organiser or participant.
async fn events_showing(db: &impl ConnectionTrait, kind: EntityKind, ids: &[i32]) -> Result<Vec<i32>> {
    use {event_company::Column as EC, event_organisation::Column as EO, event_organiser::Column as ER};
    let mut events = match kind {
        EntityKind::Organisation => {
            let mut events = column_where::<event_organiser::Entity>(db, ER::EventId, ER::OrganisationId, ids).await?;
            events.extend(column_where::<event_organisation::Entity>(db, EO::EventId, EO::OrganisationId, ids).await?);
            events.extend(column_where::<event::Entity>(db, event::Column::Id, event::Column::SiteId, ids).await?);
            events
        }
        EntityKind::Company => column_where::<event_company::Entity>(db, EC::EventId, EC::CompanyId, ids).await?,
        EntityKind::Person => {
            use event_person::Column as EP;
            column_where::<event_person::Entity>(db, EP::EventId, EP::PersonId, ids).await?
        }
        EntityKind::Technology | EntityKind::Programme | EntityKind::Event => Vec::new(),
    };
    events.sort_unstable();
    events.dedup();
    Ok(events)
}
