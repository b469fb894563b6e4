//! Writing a document's people (with their roles) and events (with their links), after the
//! entities they refer to.

use entity::{
    company, event, event_company, event_organisation, event_organiser, event_person, mentor_technology, person,
    person_role,
};
use sea_orm::{ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::lookup::{SlugIds, ensure_present, ids_of, stored};
use super::rows::{changed, content_hash, insert_links, mentor_json, sources_json, translations_json, upsert};
use super::summary::ImportSummary;
use super::{At, BATCH};
use crate::error::Result;
use crate::kb::document::Document;
use crate::kb::draft::{EventDraft, PersonDraft};

use entity::EntityKind;

/// Writes the document's people and replaces their roles and the technologies of their mentor offers.
pub(super) async fn write_people(
    db: &impl ConnectionTrait,
    document: &Document,
    At { now, mode, progress }: At<'_>,
    (org_ids, tech_ids): (&SlugIds, &SlugIds),
    summary: &mut ImportSummary,
    changes: &mut Vec<(EntityKind, i32)>,
) -> Result<()> {
    use person::Column as Pe;
    let stored_people =
        stored::<person::Entity>(db, (Pe::Id, Pe::Slug, Pe::ContentHash), document.people.iter().map(|d| &d.slug))
            .await?;
    let hashed = document.people.iter().map(|d| {
        let organisations = d.roles.iter().map(|r| org_ids[&r.organisation]).collect();
        let technologies = mentor_technologies(d).map(|t| tech_ids[t]).collect();
        (d, content_hash(d, &[("roleOrganisations", organisations), ("mentorTechnologies", technologies)]))
    });
    let people = changed(hashed, |d| &d.slug, (&stored_people, mode), &mut summary.people);
    let rows = people.iter().map(|(d, hash)| row!(person, d, hash, now, { mentor: Set(mentor_json(&d.mentor)) }));
    upsert::<person::Entity, _>(db, rows.collect(), Pe::Slug, mode, progress).await?;
    progress.inc(summary.people.unchanged as u64);
    let person_ids = ids_of::<person::Entity>(db, (Pe::Id, Pe::Slug), people.iter().map(|(d, _)| &d.slug)).await?;
    let written: Vec<(&PersonDraft, i32)> = people.iter().map(|(d, _)| (*d, person_ids[&d.slug])).collect();
    changes.extend(written.iter().map(|&(_, id)| (EntityKind::Person, id)));
    let ids: Vec<i32> = written.iter().map(|&(_, id)| id).collect();
    for chunk in ids.chunks(BATCH) {
        person_role::Entity::delete_many()
            .filter(person_role::Column::PersonId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    let roles: Vec<person_role::ActiveModel> = written
        .iter()
        .flat_map(|&(d, person_id)| {
            d.roles.iter().enumerate().map(move |(position, role)| person_role::ActiveModel {
                person_id: Set(person_id),
                position: Set(position as i32),
                organisation_id: Set(org_ids[&role.organisation]),
                title: Set(role.title.clone()),
                since: Set(role.since),
                until: Set(role.until),
            })
        })
        .collect();
    for chunk in roles.chunks(BATCH) {
        person_role::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    write_mentor_technologies(db, &written, tech_ids).await
}

/// The slugs of the technologies a person's mentor offer names, without repeats.
fn mentor_technologies(d: &PersonDraft) -> impl Iterator<Item = &String> {
    let mut seen = std::collections::HashSet::new();
    d.mentor.iter().flat_map(|m| m.technologies.iter()).filter(move |slug| seen.insert(*slug))
}

/// Replaces the technologies of the written people's mentor offers (none for a withdrawn offer).
async fn write_mentor_technologies(
    db: &impl ConnectionTrait,
    written: &[(&PersonDraft, i32)],
    tech_ids: &SlugIds,
) -> Result<()> {
    let ids: Vec<i32> = written.iter().map(|&(_, id)| id).collect();
    for chunk in ids.chunks(BATCH) {
        mentor_technology::Entity::delete_many()
            .filter(mentor_technology::Column::PersonId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    let links: Vec<mentor_technology::ActiveModel> = written
        .iter()
        .flat_map(|&(d, person_id)| {
            mentor_technologies(d).map(move |slug| mentor_technology::ActiveModel {
                person_id: Set(person_id),
                technology_id: Set(tech_ids[slug]),
            })
        })
        .collect();
    for chunk in links.chunks(BATCH) {
        mentor_technology::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Writes the document's events and replaces their links.
pub(super) async fn write_events(
    db: &impl ConnectionTrait,
    document: &Document,
    At { now, mode, progress }: At<'_>,
    org_ids: &SlugIds,
    summary: &mut ImportSummary,
    changes: &mut Vec<(EntityKind, i32)>,
) -> Result<()> {
    if document.events.is_empty() {
        return Ok(());
    }
    use company::Column as C;
    use event::Column as E;
    use person::Column as Pe;
    let company_ids =
        ids_of::<company::Entity>(db, (C::Id, C::Slug), document.events.iter().flat_map(|d| &d.companies)).await?;
    ensure_present(&company_ids, document.events.iter().flat_map(|d| &d.companies), "company")?;
    let person_ids =
        ids_of::<person::Entity>(db, (Pe::Id, Pe::Slug), document.events.iter().flat_map(|d| &d.people)).await?;
    ensure_present(&person_ids, document.events.iter().flat_map(|d| &d.people), "person")?;
    let stored_events =
        stored::<event::Entity>(db, (E::Id, E::Slug, E::ContentHash), document.events.iter().map(|d| &d.slug)).await?;
    let resolve = |slugs: &[String], ids: &SlugIds| slugs.iter().map(|s| ids[s]).collect::<Vec<i32>>();
    let hashed = document.events.iter().map(|d| {
        let references = [
            ("site", d.site.iter().map(|s| org_ids[s]).collect()),
            ("organisers", resolve(&d.organisers, org_ids)),
            ("companies", resolve(&d.companies, &company_ids)),
            ("people", resolve(&d.people, &person_ids)),
            ("organisations", resolve(&d.organisations, org_ids)),
        ];
        (d, content_hash(d, &references))
    });
    let events = changed(hashed, |d| &d.slug, (&stored_events, mode), &mut summary.events);
    let rows = events.iter().map(|(d, hash)| {
        row!(event, d, hash, now, {
            date: Set(d.date),
            end_date: Set(d.end_date),
            site_id: Set(d.site.as_ref().map(|s| org_ids[s])),
        })
    });
    upsert::<event::Entity, _>(db, rows.collect(), E::Slug, mode, progress).await?;
    progress.inc(summary.events.unchanged as u64);
    let event_ids = ids_of::<event::Entity>(db, (E::Id, E::Slug), events.iter().map(|(d, _)| &d.slug)).await?;
    let written: Vec<(&EventDraft, i32)> = events.iter().map(|(d, _)| (*d, event_ids[&d.slug])).collect();
    changes.extend(written.iter().map(|&(_, id)| (EntityKind::Event, id)));
    let ids: Vec<i32> = written.iter().map(|&(_, id)| id).collect();
    for chunk in ids.chunks(BATCH) {
        let chunk = || chunk.iter().copied();
        event_organiser::Entity::delete_many().filter(event_organiser::Column::EventId.is_in(chunk())).exec(db).await?;
        event_company::Entity::delete_many().filter(event_company::Column::EventId.is_in(chunk())).exec(db).await?;
        event_person::Entity::delete_many().filter(event_person::Column::EventId.is_in(chunk())).exec(db).await?;
        event_organisation::Entity::delete_many()
            .filter(event_organisation::Column::EventId.is_in(chunk()))
            .exec(db)
            .await?;
    }
    let pairs = |list: fn(&EventDraft) -> &Vec<String>, targets: &SlugIds| {
        let mut pairs: Vec<(i32, i32)> =
            written.iter().flat_map(|&(d, event)| list(d).iter().map(move |slug| (event, targets[slug]))).collect();
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    };
    insert_links(db, pairs(|d| &d.organisers, org_ids), |(event_id, organisation_id)| event_organiser::ActiveModel {
        event_id: Set(event_id),
        organisation_id: Set(organisation_id),
    })
    .await?;
    insert_links(db, pairs(|d| &d.companies, &company_ids), |(event_id, company_id)| event_company::ActiveModel {
        event_id: Set(event_id),
        company_id: Set(company_id),
    })
    .await?;
    insert_links(db, pairs(|d| &d.people, &person_ids), |(event_id, person_id)| event_person::ActiveModel {
        event_id: Set(event_id),
        person_id: Set(person_id),
    })
    .await?;
    insert_links(db, pairs(|d| &d.organisations, org_ids), |(event_id, organisation_id)| {
        event_organisation::ActiveModel { event_id: Set(event_id), organisation_id: Set(organisation_id) }
    })
    .await
}
