//! The index schema: one document per entity, text in French, English and raw form, facets as fast fields.

use tantivy::schema::{FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions};

use super::analyzer::{ENGLISH, ENGLISH_REPEATED, FRENCH, FRENCH_REPEATED, RAW, RAW_REPEATED};

/// Bumped whenever the schema or the analyzers change; an index built by another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 8;

/// Handles to every field of the index.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// `company:12`: the unique key used to replace or delete a document.
    pub key: Field,
    pub kind: Field,
    pub id: Field,
    /// Folded, lower-cased name: the stable order of listings.
    pub name_sort: Field,
    pub slug: Field,
    pub name: Field,
    pub aliases: Field,
    pub description: Field,
    pub related: Field,
    /// Name and aliases, weighed most.
    pub primary_fr: Field,
    pub primary_en: Field,
    pub primary_raw: Field,
    /// Names of linked entities (technologies and their aliases, site, programmes, memberships).
    pub related_fr: Field,
    pub related_en: Field,
    pub related_raw: Field,
    /// The words of an entity's stage, kinds and domains, in French and English.
    pub vocabulary_fr: Field,
    pub vocabulary_en: Field,
    pub vocabulary_raw: Field,
    /// A company's city: a match there ranks above an organisation named after the city.
    pub place_raw: Field,
    /// The description, in its own language's field.
    pub desc_fr: Field,
    pub desc_en: Field,
    pub desc_raw: Field,
    pub domain: Field,
    pub stage: Field,
    pub programme_kind: Field,
    pub city: Field,
    /// The city folded (case and accents dropped), for filters.
    pub city_key: Field,
    pub site: Field,
    pub membership: Field,
    /// Slugs of the programmes a company takes part in.
    pub programme: Field,
    /// Slugs of the technologies an entity is about: shared ones make entities similar.
    pub technology: Field,
    /// How many other entities it is linked to.
    pub links: Field,
    /// The length of the folded name: shorter names are suggested first.
    pub name_len: Field,
}

/// Words as typed keep their positions: phrases, hyphenated words and proximity read them.
/// Stems are only ever looked up one term at a time (ranked with BM25, or for `similar`), so
/// they keep frequencies alone, which makes indexing and the index lighter.
fn text(analyzer: &str) -> TextOptions {
    let record = if matches!(analyzer, RAW | RAW_REPEATED) {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::WithFreqs
    };
    TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(record))
}

/// Builds the schema and the handles to its fields.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let facet = STRING | FAST;
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        kind: b.add_text_field("kind", facet.clone() | STORED),
        id: b.add_u64_field("id", FAST | STORED),
        name_sort: b.add_text_field("name_sort", STRING | FAST),
        slug: b.add_text_field("slug", STORED),
        name: b.add_text_field("name", STORED),
        aliases: b.add_text_field("aliases", STORED),
        description: b.add_text_field("description", STORED),
        related: b.add_text_field("related", STORED),
        primary_fr: b.add_text_field("primary_fr", text(FRENCH)),
        primary_en: b.add_text_field("primary_en", text(ENGLISH)),
        primary_raw: b.add_text_field("primary_raw", text(RAW)),
        related_fr: b.add_text_field("related_fr", text(FRENCH_REPEATED)),
        related_en: b.add_text_field("related_en", text(ENGLISH_REPEATED)),
        related_raw: b.add_text_field("related_raw", text(RAW_REPEATED)),
        vocabulary_fr: b.add_text_field("vocabulary_fr", text(FRENCH_REPEATED)),
        vocabulary_en: b.add_text_field("vocabulary_en", text(ENGLISH_REPEATED)),
        vocabulary_raw: b.add_text_field("vocabulary_raw", text(RAW_REPEATED)),
        place_raw: b.add_text_field("place_raw", text(RAW_REPEATED)),
        desc_fr: b.add_text_field("desc_fr", text(FRENCH)),
        desc_en: b.add_text_field("desc_en", text(ENGLISH)),
        desc_raw: b.add_text_field("desc_raw", text(RAW)),
        domain: b.add_text_field("domain", facet.clone()),
        stage: b.add_text_field("stage", facet.clone()),
        programme_kind: b.add_text_field("programme_kind", facet.clone()),
        city: b.add_text_field("city", facet.clone()),
        city_key: b.add_text_field("city_key", STRING | FAST),
        site: b.add_text_field("site", facet.clone()),
        membership: b.add_text_field("membership", facet.clone()),
        programme: b.add_text_field("programme", facet.clone()),
        technology: b.add_text_field("technology", facet | STORED),
        links: b.add_u64_field("links", FAST | STORED),
        name_len: b.add_u64_field("name_len", FAST),
    };
    (b.build(), fields)
}
