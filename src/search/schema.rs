//! The index schema: one document per entity, text in French, English and raw form, facets as fast fields.

use tantivy::schema::{FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions};

use super::analyzer::{ENGLISH, ENGLISH_REPEATED, FRENCH, FRENCH_REPEATED, RAW, RAW_REPEATED};

/// Bumped whenever the schema or the analyzers change; an index built by another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 10;

/// Handles to every field of the index.
/// The names of the fast fields, which facets, filters and orderings read by name.
pub mod fast {
    pub const KIND: &str = "kind";
    pub const DOMAIN: &str = "domain";
    pub const STAGE: &str = "stage";
    pub const PROGRAMME_KIND: &str = "programme_kind";
    pub const CITY: &str = "city";
    pub const CITY_KEY: &str = "city_key";
    pub const SITE: &str = "site";
    pub const MEMBERSHIP: &str = "membership";
    pub const TECHNOLOGY: &str = "technology";
    pub const NAME_SORT: &str = "name_sort";
    pub const NAME_LEN: &str = "name_len";
    pub const LINKS: &str = "links";
    pub const POINT: &str = "point";
}

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
    /// Mentor matching's exact terms: a mentor's offer (`topic:EXPORT`, `technology:…`), a
    /// company's needs (`need:EXPORT`).
    pub mentoring: Field,
    /// How many other entities it is linked to.
    pub links: Field,
    /// The length of the folded name: shorter names are suggested first.
    pub name_len: Field,
    /// Every point of an entity, packed (see `search::geo`): its main point and its other places.
    pub point: Field,
    /// The cells holding its points, at three sizes: what an area's search reads first.
    pub cell: Field,
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
        kind: b.add_text_field(fast::KIND, facet.clone() | STORED),
        id: b.add_u64_field("id", FAST | STORED),
        name_sort: b.add_text_field(fast::NAME_SORT, STRING | FAST),
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
        domain: b.add_text_field(fast::DOMAIN, facet.clone()),
        stage: b.add_text_field(fast::STAGE, facet.clone()),
        programme_kind: b.add_text_field(fast::PROGRAMME_KIND, facet.clone()),
        city: b.add_text_field(fast::CITY, facet.clone()),
        city_key: b.add_text_field(fast::CITY_KEY, STRING | FAST),
        site: b.add_text_field(fast::SITE, facet.clone()),
        membership: b.add_text_field(fast::MEMBERSHIP, facet.clone()),
        programme: b.add_text_field("programme", facet.clone()),
        technology: b.add_text_field(fast::TECHNOLOGY, facet | STORED),
        mentoring: b.add_text_field("mentoring", STRING),
        links: b.add_u64_field(fast::LINKS, FAST | STORED),
        name_len: b.add_u64_field(fast::NAME_LEN, FAST),
        point: b.add_u64_field(fast::POINT, FAST),
        cell: b.add_text_field("cell", STRING),
    };
    (b.build(), fields)
}
