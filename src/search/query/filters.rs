//! What every result must satisfy: the request's kinds and facet filters as restrictions (but
//! for those of the facets counted apart), and which facets are filtered on.

use tantivy::query::{Occur, Query};
use tantivy::schema::Field;

use super::{Facet, SearchFilter, SearchRequest, sort_name};
use crate::search::matches::Restriction;
use crate::search::schema::{Fields, fast};
use entity::{CompanyStage, EntityKind, ProgrammeKind, TechnologyDomain};

fn names<T: Copy>(list: &Option<Vec<T>>, name: fn(T) -> &'static str) -> Option<Vec<String>> {
    list.as_ref().map(|l| l.iter().map(|v| name(*v).to_string()).collect())
}

/// What every result must satisfy (kinds and facet filters), but for the filters of the facets
/// `except`.
pub(super) fn restrictions(
    f: &Fields,
    kinds: &[EntityKind],
    filter: &SearchFilter,
    except: &[Facet],
) -> Vec<Restriction> {
    let skip = |facet: Facet| except.contains(&facet);
    let facet = |facet: Facet, field: Field, values: Option<Vec<String>>| {
        (field, facet.filter_field(), if skip(facet) { None } else { values })
    };
    let kinds = (!kinds.is_empty()).then(|| kinds.iter().map(|k| k.as_str().to_string()).collect());
    let cities = filter.city.as_ref().map(|c| c.iter().map(|c| sort_name(c)).collect());
    let lists = [
        facet(Facet::Kind, f.kind, kinds),
        facet(Facet::Domain, f.domain, names(&filter.domain, TechnologyDomain::as_str)),
        facet(Facet::Stage, f.stage, names(&filter.stage, CompanyStage::as_str)),
        facet(Facet::ProgrammeKind, f.programme_kind, names(&filter.programme_kind, ProgrammeKind::as_str)),
        facet(Facet::City, f.city_key, cities),
        (f.site, fast::SITE, filter.site.clone()),
        (f.membership, fast::MEMBERSHIP, filter.membership.clone()),
        (f.technology, fast::TECHNOLOGY, filter.technology.clone()),
    ];
    lists
        .into_iter()
        .filter_map(|(field, column, values)| Some(Restriction { field, column, values: values? }))
        .collect()
}

/// [`restrictions`] as clauses of a boolean query.
pub(super) fn must(restrictions: Vec<Restriction>) -> Vec<(Occur, Box<dyn Query>)> {
    restrictions.iter().map(|r| (Occur::Must, r.query())).collect()
}
/// The values a facet's filter accepts, as its filter field stores them.
pub(super) fn filter_values(facet: Facet, request: &SearchRequest) -> Vec<String> {
    let filter = &request.filter;
    match facet {
        Facet::Kind => request.kinds.iter().map(|k| k.as_str().to_string()).collect(),
        Facet::Domain => names(&filter.domain, TechnologyDomain::as_str).unwrap_or_default(),
        Facet::Stage => names(&filter.stage, CompanyStage::as_str).unwrap_or_default(),
        Facet::ProgrammeKind => names(&filter.programme_kind, ProgrammeKind::as_str).unwrap_or_default(),
        Facet::City => filter.city.iter().flatten().map(|c| sort_name(c)).collect(),
    }
}

/// Whether the filter on a facet is set, so that its counts need a pass of their own.
pub(super) fn filtered(facet: Facet, kinds: &[EntityKind], filter: &SearchFilter) -> bool {
    match facet {
        Facet::Kind => !kinds.is_empty(),
        Facet::Domain => filter.domain.is_some(),
        Facet::Stage => filter.stage.is_some(),
        Facet::ProgrammeKind => filter.programme_kind.is_some(),
        Facet::City => filter.city.is_some(),
    }
}
