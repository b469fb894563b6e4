//! The words people use for stages, programme kinds, organisation kinds and technology domains,
//! in French and English, and for what mentors offer: one table, read when documents are indexed.
//!
//! An entity is indexed with the words of its own values (a programme's kind and the stages it is
//! open to, a company's stage and its technologies' domains…), so "mentoring", "mentorat" or
//! "parrainage" find the MENTORING programmes, and "startup" or "jeune pousse" the start-ups and
//! the programmes open to them.

use entity::{CompanyStage, OrganisationKind, ProgrammeKind, TechnologyDomain, Topic};

/// Words for each company stage.
pub fn stage_words(value: CompanyStage) -> &'static [&'static str] {
    match value {
        CompanyStage::Startup => &["startup", "start-up", "jeune pousse", "jeune entreprise innovante"],
        CompanyStage::Sme => &["SME", "PME", "small business", "petite entreprise", "moyenne entreprise"],
        CompanyStage::Midcap => &["midcap", "mid-cap", "ETI", "entreprise de taille intermédiaire"],
        CompanyStage::LargeGroup => &["large group", "grand groupe", "grande entreprise", "corporate"],
    }
}

/// Words for each programme kind.
pub fn programme_kind_words(value: ProgrammeKind) -> &'static [&'static str] {
    match value {
        ProgrammeKind::Mentoring => &["mentoring", "mentor", "mentorat", "parrainage", "coaching"],
        ProgrammeKind::Funding => &["funding", "financement", "subvention", "grant", "investment", "investissement"],
        ProgrammeKind::Acceleration => &["acceleration", "accelerator", "accélération", "accélérateur"],
        ProgrammeKind::Incubation => &["incubation", "incubator", "incubateur"],
        ProgrammeKind::Networking => &["networking", "réseautage", "mise en relation", "rencontres"],
        ProgrammeKind::Expertise => &["expertise", "consulting", "conseil", "diagnostic"],
        ProgrammeKind::Other => &[],
    }
}

/// Words for what a mentor offers, besides the topics: a mentor is found as a MENTORING
/// programme is, and as an expert.
const MENTOR_WORDS: &[&str] = &["expert", "experte", "expertise"];

/// Words for each topic start-ups and SMEs ask help with.
pub fn topic_words(value: Topic) -> &'static [&'static str] {
    match value {
        Topic::Industrialisation => {
            &["industrialisation", "industrialization", "manufacturing", "production", "passage à l'échelle"]
        }
        Topic::Funding => &["funding", "financement", "levée de fonds", "fundraising", "investissement"],
        Topic::Export => &["export", "exportation", "international"],
        Topic::Recruitment => &["recruitment", "recrutement", "hiring", "embauche"],
        Topic::IntellectualProperty => &["intellectual property", "propriété intellectuelle", "brevet", "patent"],
        Topic::Governance => &["governance", "gouvernance", "conseil d'administration", "board"],
        Topic::Sales => &["sales", "vente", "commercial", "go-to-market"],
        Topic::Regulation => &["regulation", "réglementation", "compliance", "conformité"],
        Topic::Certification => &["certification", "homologation", "norme", "standard"],
        Topic::Partnerships => &["partnerships", "partenariat", "alliance"],
        Topic::Other => &[],
    }
}

/// The vocabulary of a mentor offer's topics (as stored, e.g. `EXPORT`): the topics' words, and
/// the words of mentoring and expertise.
pub fn offer_words(topics: &[&str]) -> Vec<&'static str> {
    if topics.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<&'static str> = programme_kind_words(ProgrammeKind::Mentoring).to_vec();
    out.extend(MENTOR_WORDS);
    for t in topics.iter().filter_map(|t| Topic::parse(t)) {
        out.extend(topic_words(t));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Words for each organisation kind.
pub fn organisation_kind_words(value: OrganisationKind) -> &'static [&'static str] {
    match value {
        OrganisationKind::Technopole => &["technopole", "technopôle", "science park", "parc technologique"],
        OrganisationKind::Cluster => &["cluster", "pôle de compétitivité", "competitiveness cluster"],
        OrganisationKind::Chamber => &["chamber of commerce", "chambre de commerce", "CCI"],
        OrganisationKind::BusinessNetwork => &["business network", "réseau d'entreprises", "patronat"],
        OrganisationKind::PublicAuthority => {
            &["public authority", "collectivité", "administration", "pouvoirs publics"]
        }
        OrganisationKind::Investor => &["investor", "investisseur", "fonds d'investissement", "venture capital"],
        OrganisationKind::Research => &["research", "recherche", "laboratoire", "laboratory"],
        OrganisationKind::Other => &[],
    }
}

/// Words for each technology domain.
pub fn domain_words(value: TechnologyDomain) -> &'static [&'static str] {
    match value {
        TechnologyDomain::Energy => &["energy", "énergie"],
        TechnologyDomain::Mobility => &["mobility", "mobilité", "transport"],
        TechnologyDomain::Building => &["building", "bâtiment", "construction"],
        TechnologyDomain::Water => &["water", "eau"],
        TechnologyDomain::Waste => &["waste", "déchets"],
        TechnologyDomain::Air => &["air quality", "qualité de l'air"],
        TechnologyDomain::NaturalRisks => &["natural risks", "risques naturels"],
        TechnologyDomain::Biodiversity => &["biodiversity", "biodiversité"],
        TechnologyDomain::Agriculture => &["agriculture", "farming"],
        TechnologyDomain::Digital => &["digital", "numérique"],
        TechnologyDomain::Security => &["security", "sécurité"],
        TechnologyDomain::Other => &[],
    }
}

/// The vocabulary of an entity's facet values (as stored, e.g. `STARTUP`), one text per value.
pub fn words_for(
    stages: &[&str],
    programme_kinds: &[&str],
    organisation_kind: Option<&str>,
    domains: &[&str],
) -> Vec<&'static str> {
    let mut out = Vec::new();
    for s in stages.iter().filter_map(|s| CompanyStage::parse(s)) {
        out.extend(stage_words(s));
    }
    for k in programme_kinds.iter().filter_map(|k| ProgrammeKind::parse(k)) {
        out.extend(programme_kind_words(k));
    }
    if let Some(k) = organisation_kind.and_then(OrganisationKind::parse) {
        out.extend(organisation_kind_words(k));
    }
    for d in domains.iter().filter_map(|d| TechnologyDomain::parse(d)) {
        out.extend(domain_words(d));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Every entry of the table: the words of one value.
pub fn entries() -> impl Iterator<Item = &'static [&'static str]> {
    let stages = CompanyStage::ALL.iter().map(|v| stage_words(*v));
    let programmes = ProgrammeKind::ALL.iter().map(|v| programme_kind_words(*v));
    let organisations = OrganisationKind::ALL.iter().map(|v| organisation_kind_words(*v));
    let domains = TechnologyDomain::ALL.iter().map(|v| domain_words(*v));
    let topics = Topic::ALL.iter().map(|v| topic_words(*v)).chain([MENTOR_WORDS]);
    stages.chain(programmes).chain(organisations).chain(domains).chain(topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_of_the_issue_has_its_words() {
        assert!(words_for(&["STARTUP"], &[], None, &[]).contains(&"jeune pousse"));
        assert!(words_for(&[], &["MENTORING"], None, &[]).contains(&"parrainage"));
        assert!(words_for(&[], &["FUNDING"], None, &[]).contains(&"financement"));
        assert!(words_for(&[], &["INCUBATION"], None, &[]).contains(&"incubateur"));
        assert!(words_for(&[], &[], Some("CLUSTER"), &[]).contains(&"pôle de compétitivité"));
        assert!(words_for(&[], &[], None, &["ENERGY"]).contains(&"énergie"));
        assert!(words_for(&["nonsense"], &[], Some("nonsense"), &[]).is_empty());
        assert!(offer_words(&["FUNDING"]).contains(&"levée de fonds"));
        assert!(offer_words(&["EXPORT"]).contains(&"mentorat"));
        assert!(offer_words(&["INDUSTRIALISATION"]).contains(&"expert"));
        assert!(offer_words(&[]).is_empty(), "no offer, no mentor words");
    }
}
