//! An entity's index document: what each field of the schema holds for it.

use entity::EntityKind;
use tantivy::TantivyDocument;

use super::schema::Fields;
use super::source::SearchDoc;
use super::{geo, vocabulary, words};

/// The unique key of an entity's document.
pub(super) fn key(kind: EntityKind, id: i32) -> String {
    format!("{}:{id}", kind.as_str())
}

pub(super) fn to_tantivy(f: &Fields, d: &SearchDoc) -> TantivyDocument {
    let kind = d.kind.unwrap_or(EntityKind::Company);
    let mut doc = TantivyDocument::default();
    doc.add_text(f.key, key(kind, d.id));
    doc.add_text(f.kind, kind.as_str());
    doc.add_u64(f.id, d.id as u64);
    doc.add_u64(f.links, d.links);
    let name_sort = words::sort_name(&d.name);
    doc.add_u64(f.name_len, name_sort.chars().count() as u64);
    doc.add_text(f.name_sort, name_sort);
    doc.add_text(f.slug, &d.slug);
    doc.add_text(f.name, &d.name);
    let mut vocabulary = vocabulary::words_for(&d.stages, &d.programme_kinds, d.organisation_kind, &d.domains);
    if !d.offer_topics.is_empty() {
        vocabulary.extend(vocabulary::offer_words(&d.offer_topics));
        vocabulary.extend(vocabulary::words_for(&[], &[], None, &d.offer_domains));
        vocabulary.sort_unstable();
        vocabulary.dedup();
    }
    // An organisation's city is one of its related names; a company's has a field of its own.
    let place = if kind == EntityKind::Company { d.city.as_ref() } else { None };
    let own_city = if kind == EntityKind::Company { None } else { d.city.as_ref() };
    // Translated names are other names, as aliases are.
    let translated_names = d.translations.iter().filter_map(|t| t.name.as_ref());
    let primary = std::iter::once(&d.name).chain(&d.aliases).chain(translated_names).map(|t| t.as_str());
    let related = d.related.iter().map(|t| t.as_str()).chain(own_city.map(|c| c.as_str()));
    let groups = [
        (primary.collect::<Vec<_>>(), f.primary_fr, f.primary_en, f.primary_raw),
        (related.collect(), f.related_fr, f.related_en, f.related_raw),
        (vocabulary, f.vocabulary_fr, f.vocabulary_en, f.vocabulary_raw),
    ];
    for (texts, fr, en, raw) in groups {
        for text in texts {
            // Hyphenated words also match joined: "start-up" as "startup".
            for value in std::iter::once(text.to_string()).chain(words::joined_compounds(text)) {
                doc.add_text(fr, &value);
                doc.add_text(en, &value);
                doc.add_text(raw, &value);
            }
        }
    }
    if let Some(city) = place {
        doc.add_text(f.place_raw, city);
        for joined in words::joined_compounds(city) {
            doc.add_text(f.place_raw, joined);
        }
    }
    for alias in &d.aliases {
        doc.add_text(f.aliases, alias);
    }
    if !d.related.is_empty() {
        doc.add_text(f.related, d.related.join(" · "));
    }
    if let Some(description) = &d.description {
        doc.add_text(f.description, description);
        add_description(f, &mut doc, description, d.lang);
    }
    // Each translated description with its own language's analyzer.
    for t in &d.translations {
        if let Some(description) = &t.description {
            add_description(f, &mut doc, description, Some(t.lang));
        }
    }
    add_facets(f, &mut doc, d);
    doc
}

/// A description, stemmed in its language and raw, whole and with its hyphenated words joined.
fn add_description(f: &Fields, doc: &mut TantivyDocument, description: &str, lang: Option<entity::Lang>) {
    let stemmed = if lang == Some(entity::Lang::En) { f.desc_en } else { f.desc_fr };
    let joined = words::joined_compounds(description).join(" ");
    for value in [description, joined.as_str()].into_iter().filter(|v| !v.is_empty()) {
        doc.add_text(stemmed, value);
        doc.add_text(f.desc_raw, value);
    }
}

/// The values searches filter on and count.
fn add_facets(f: &Fields, doc: &mut TantivyDocument, d: &SearchDoc) {
    for (field, values) in [(f.domain, &d.domains), (f.stage, &d.stages), (f.programme_kind, &d.programme_kinds)] {
        let mut values = values.clone();
        values.sort_unstable();
        values.dedup();
        for v in values {
            doc.add_text(field, v);
        }
    }
    for (field, value) in [(f.city, &d.city), (f.site, &d.site)] {
        if let Some(v) = value {
            doc.add_text(field, v);
        }
    }
    if let Some(city) = &d.city {
        doc.add_text(f.city_key, words::sort_name(city));
    }
    let mut cells: Vec<String> = Vec::new();
    for point in &d.points {
        doc.add_u64(f.point, geo::encode(*point));
        cells.extend(geo::cells(*point));
    }
    cells.sort_unstable();
    cells.dedup();
    for cell in cells {
        doc.add_text(f.cell, cell);
    }
    for (field, values) in [
        (f.membership, &d.memberships),
        (f.programme, &d.programmes),
        (f.technology, &d.technologies),
        (f.mentoring, &d.mentoring),
    ] {
        for v in values {
            doc.add_text(field, v);
        }
    }
}
