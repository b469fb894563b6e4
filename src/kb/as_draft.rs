//! Stored entities back as drafts, relations as slugs: what an update edits and an export writes.

use std::collections::HashMap;

use super::draft::{
    CompanyDraft, EventDraft, OrganisationDraft, PersonDraft, ProgrammeDraft, RoleDraft, TechnologyDraft,
};
use super::geo::own_point;
use super::model::{Company, Event, Organisation, Person, Programme, Role, Technology};

/// A draft of kind `$draft`: the header's fields, then its own.
macro_rules! draft {
    ($draft:ident, $header:expr, { $($field:ident $(: $value:expr)?),* $(,)? }) => {{
        let header = $header;
        $draft {
            slug: header.slug,
            name: header.name,
            description: header.description,
            lang: header.lang,
            website: header.website,
            sources: header.sources,
            translations: header.translations,
            aliases: header.aliases,
            $($field $(: $value)?,)*
        }
    }};
}

pub fn organisation(m: Organisation) -> OrganisationDraft {
    draft!(OrganisationDraft, m.header, {
        kind: m.kind,
        city: m.city,
        location: own_point(m.latitude, m.longitude),
        places: m.places,
    })
}

pub fn technology(m: Technology, parent: Option<String>) -> TechnologyDraft {
    draft!(TechnologyDraft, m.header, { domain: m.domain, parent })
}

/// A programme's draft; `org_slugs` holds at least the organisations its criteria name.
pub fn programme(m: Programme, operator: Option<String>, org_slugs: &HashMap<i32, String>) -> ProgrammeDraft {
    let slugs = |ids: &[i32]| -> Vec<String> { ids.iter().filter_map(|id| org_slugs.get(id).cloned()).collect() };
    draft!(ProgrammeDraft, m.header, {
        kind: m.kind,
        operator,
        eligible_stages: m.eligible_stages,
        eligible_domains: m.eligible_domains,
        eligible_sites: slugs(&m.eligible_site_ids),
        required_memberships: slugs(&m.required_membership_ids),
        starts_on: m.starts_on,
        ends_on: m.ends_on,
    })
}

/// A company's relations, as slugs: technologies, programmes, memberships.
pub type CompanyLists = [Vec<String>; 3];

/// A company's draft; relation lists are sorted.
pub fn company(m: Company, site: Option<String>, lists: CompanyLists) -> CompanyDraft {
    let [technologies, programmes, memberships] = lists.map(sorted);
    draft!(CompanyDraft, m.header, {
        stage: m.stage,
        city: m.city,
        founded_year: m.founded_year,
        employees: m.employees,
        site,
        technologies,
        programmes,
        memberships,
        needs: m.needs,
        location: own_point(m.latitude, m.longitude),
        places: m.places,
    })
}

/// A person's draft; `roles` in their stored order, organisations as slugs, the technologies
/// of their mentor offer (as slugs) sorted.
pub fn person(
    m: Person,
    roles: Vec<Role>,
    org_slugs: &HashMap<i32, String>,
    mentor_technologies: Vec<String>,
) -> PersonDraft {
    let roles = roles
        .into_iter()
        .filter_map(|r| {
            Some(RoleDraft {
                organisation: org_slugs.get(&r.organisation_id)?.clone(),
                title: r.title,
                since: r.since,
                until: r.until,
            })
        })
        .collect();
    let mentor = m.mentor.map(|offer| offer.into_draft(sorted(mentor_technologies)));
    draft!(PersonDraft, m.header, { roles, mentor })
}

/// An event's relations, as slugs: organisers, companies, people, organisations.
pub type EventLists = [Vec<String>; 4];

/// An event's draft; link lists are sorted.
pub fn event(m: Event, site: Option<String>, lists: EventLists) -> EventDraft {
    let [organisers, companies, people, organisations] = lists.map(sorted);
    draft!(EventDraft, m.header, {
        date: m.date,
        end_date: m.end_date,
        site,
        organisers,
        companies,
        people,
        organisations,
    })
}

fn sorted(mut list: Vec<String>) -> Vec<String> {
    list.sort();
    list
}
