//! Reads made for batching loaders: entities by ids, and the entities related to many owners
//! at once, one or two statements whatever the number of owners.

use std::collections::HashMap;

use entity::{
    company_membership, company_programme, company_technology, event_company, event_organisation, event_organiser,
    event_person, mentor_technology, person_role, technology,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::Result;
use crate::kb::model::{Company, Organisation, Person, Programme, Role, Stored, Technology, read_all};
use entity::EntityKind;

/// The entities with these ids, in no particular order; ids of no entity are left out.
pub async fn by_ids<S: Stored>(db: &impl ConnectionTrait, ids: &[i32]) -> Result<Vec<S>> {
    let rows = S::Entity::find().filter(S::id_column().is_in(ids.iter().copied())).all(db).await?;
    read_all(rows)
}

/// The entity with this id.
pub async fn by_id<S: Stored>(db: &impl ConnectionTrait, id: i32) -> Result<Option<S>> {
    Ok(by_ids(db, &[id]).await?.pop())
}

/// The entities with these slugs, in no particular order.
pub async fn by_slugs<S: Stored>(db: &impl ConnectionTrait, slugs: &[String]) -> Result<Vec<S>> {
    let rows = S::Entity::find().filter(S::slug_column().is_in(slugs.iter().cloned())).all(db).await?;
    read_all(rows)
}

/// The entity with this slug.
pub async fn by_slug<S: Stored>(db: &impl ConnectionTrait, slug: &str) -> Result<Option<S>> {
    let row = S::Entity::find().filter(S::slug_column().eq(slug)).one(db).await?;
    row.map(S::read).transpose()
}

/// The slug of an entity.
pub async fn slug_of(db: &impl ConnectionTrait, kind: EntityKind, id: i32) -> Result<Option<String>> {
    async fn slug<S: Stored>(db: &impl ConnectionTrait, id: i32) -> Result<Option<String>> {
        let query = S::Entity::find().select_only().column(S::slug_column()).filter(S::id_column().eq(id));
        Ok(query.into_tuple().one(db).await?)
    }
    match kind {
        EntityKind::Company => slug::<Company>(db, id).await,
        EntityKind::Technology => slug::<Technology>(db, id).await,
        EntityKind::Programme => slug::<Programme>(db, id).await,
        EntityKind::Organisation => slug::<Organisation>(db, id).await,
        EntityKind::Person => slug::<Person>(db, id).await,
        EntityKind::Event => slug::<crate::kb::model::Event>(db, id).await,
    }
}

/// The (owner, target) rows of the link table `L` for these owners.
pub async fn pairs<L: EntityTrait>(
    db: &impl ConnectionTrait,
    (owner, target): (L::Column, L::Column),
    owners: &[i32],
) -> Result<Vec<(i32, i32)>> {
    Ok(L::find()
        .select_only()
        .columns([owner, target])
        .filter(owner.is_in(owners.iter().copied()))
        .into_tuple()
        .all(db)
        .await?)
}

/// The distinct targets of (owner, target) links, in order.
pub fn targets(links: &[(i32, i32)]) -> Vec<i32> {
    let mut ids: Vec<i32> = links.iter().map(|l| l.1).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// For each owner, the `S` linked to it through the link table `L` (from `owner` to `target`),
/// by name: two statements (the links, then the targets) for any number of owners.
pub async fn linked<S: Stored, L: EntityTrait>(
    db: &impl ConnectionTrait,
    (owner, target): (L::Column, L::Column),
    owners: &[i32],
) -> Result<HashMap<i32, Vec<S>>> {
    let links = pairs::<L>(db, (owner, target), owners).await?;
    let targets: HashMap<i32, S> =
        by_ids::<S>(db, &targets(&links)).await?.into_iter().map(|s| (s.header().id, s)).collect();
    let mut out: HashMap<i32, Vec<S>> = owners.iter().map(|o| (*o, Vec::new())).collect();
    for (owner, target) in links {
        if let (Some(list), Some(found)) = (out.get_mut(&owner), targets.get(&target)) {
            list.push(found.clone());
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.header().name_key.cmp(&b.header().name_key).then(a.header().id.cmp(&b.header().id)));
    }
    Ok(out)
}

/// The technologies each company works on, by name.
pub async fn technologies_of(db: &impl ConnectionTrait, companies: &[i32]) -> Result<HashMap<i32, Vec<Technology>>> {
    use company_technology::Column as L;
    linked::<_, company_technology::Entity>(db, (L::CompanyId, L::TechnologyId), companies).await
}

/// The programmes each company takes part in, by name.
pub async fn programmes_of(db: &impl ConnectionTrait, companies: &[i32]) -> Result<HashMap<i32, Vec<Programme>>> {
    use company_programme::Column as L;
    linked::<_, company_programme::Entity>(db, (L::CompanyId, L::ProgrammeId), companies).await
}

/// The organisations each company belongs to, by name.
pub async fn memberships_of(db: &impl ConnectionTrait, companies: &[i32]) -> Result<HashMap<i32, Vec<Organisation>>> {
    use company_membership::Column as L;
    linked::<_, company_membership::Entity>(db, (L::CompanyId, L::OrganisationId), companies).await
}

/// The organisers of each event, by name.
pub async fn organisers_of(db: &impl ConnectionTrait, events: &[i32]) -> Result<HashMap<i32, Vec<Organisation>>> {
    use event_organiser::Column as L;
    linked::<_, event_organiser::Entity>(db, (L::EventId, L::OrganisationId), events).await
}

/// The companies that took part in each event, by name.
pub async fn companies_at(db: &impl ConnectionTrait, events: &[i32]) -> Result<HashMap<i32, Vec<Company>>> {
    use event_company::Column as L;
    linked::<_, event_company::Entity>(db, (L::EventId, L::CompanyId), events).await
}

/// The people who took part in each event, by name.
pub async fn people_at(db: &impl ConnectionTrait, events: &[i32]) -> Result<HashMap<i32, Vec<Person>>> {
    use event_person::Column as L;
    linked::<_, event_person::Entity>(db, (L::EventId, L::PersonId), events).await
}

/// The organisations that took part in each event (besides organising it), by name.
pub async fn organisations_at(db: &impl ConnectionTrait, events: &[i32]) -> Result<HashMap<i32, Vec<Organisation>>> {
    use event_organisation::Column as L;
    linked::<_, event_organisation::Entity>(db, (L::EventId, L::OrganisationId), events).await
}

/// The narrower technologies of each technology, by name.
pub async fn children_of(db: &impl ConnectionTrait, parents: &[i32]) -> Result<HashMap<i32, Vec<Technology>>> {
    let rows = technology::Entity::find()
        .filter(technology::Column::ParentId.is_in(parents.iter().copied()))
        .order_by_asc(technology::Column::NameKey)
        .order_by_asc(technology::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<Technology>> = parents.iter().map(|p| (*p, Vec::new())).collect();
    for child in read_all::<Technology>(rows)? {
        if let Some(parent) = child.parent_id {
            out.entry(parent).or_default().push(child);
        }
    }
    Ok(out)
}

/// The roles of each person, in the person's order.
pub async fn roles_of(db: &impl ConnectionTrait, people: &[i32]) -> Result<HashMap<i32, Vec<Role>>> {
    let rows = person_role::Entity::find()
        .filter(person_role::Column::PersonId.is_in(people.iter().copied()))
        .order_by_asc(person_role::Column::PersonId)
        .order_by_asc(person_role::Column::Position)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<Role>> = people.iter().map(|p| (*p, Vec::new())).collect();
    for row in rows {
        out.entry(row.person_id).or_default().push(Role::from(row));
    }
    Ok(out)
}

/// The ids of the technologies each person's mentor offer names, by id.
pub async fn mentor_technologies_of(db: &impl ConnectionTrait, people: &[i32]) -> Result<HashMap<i32, Vec<i32>>> {
    use mentor_technology::Column as M;
    let rows = pairs::<mentor_technology::Entity>(db, (M::PersonId, M::TechnologyId), people).await?;
    let mut out: HashMap<i32, Vec<i32>> = people.iter().map(|p| (*p, Vec::new())).collect();
    for (person, technology) in rows {
        out.entry(person).or_default().push(technology);
    }
    out.values_mut().for_each(|list| list.sort_unstable());
    Ok(out)
}
