//! A deterministic synthetic knowledge base, realistic in shape, for benchmarks and load tests.
//!
//! The same `--companies` and `--seed` always give the same document, byte for byte: the
//! random numbers come from SplitMix64, which no dependency update can change.

use std::io::{self, Write};

use entity::{CompanyStage, Lang, OrganisationKind, ProgrammeKind, TechnologyDomain, Topic};

use crate::kb::draft::{
    CompanyDraft, MentorDraft, OrganisationDraft, PersonDraft, ProgrammeDraft, RoleDraft, Source, TechnologyDraft,
};
use crate::kb::geo::{Place, Point};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// (English name, French name, domain, French phrase as used in a sentence).
const BASE_TECHNOLOGIES: &[(&str, &str, TechnologyDomain, &str)] = &[
    ("Fuel analysis", "analyse des carburants", TechnologyDomain::Energy, "l'analyse des carburants"),
    (
        "Combustion optimisation",
        "optimisation de la combustion",
        TechnologyDomain::Energy,
        "l'optimisation de la combustion",
    ),
    ("Solar photovoltaics", "photovoltaïque", TechnologyDomain::Energy, "les panneaux photovoltaïques"),
    ("Solar thermal energy", "solaire thermique", TechnologyDomain::Energy, "l'énergie solaire thermique"),
    ("Green hydrogen", "hydrogène vert", TechnologyDomain::Energy, "la production d'hydrogène vert"),
    ("Battery recycling", "recyclage des batteries", TechnologyDomain::Waste, "le recyclage des batteries"),
    ("Energy storage", "stockage de l'énergie", TechnologyDomain::Energy, "le stockage de l'énergie"),
    ("Heat pumps", "pompes à chaleur", TechnologyDomain::Building, "les pompes à chaleur"),
    (
        "Building insulation",
        "isolation des bâtiments",
        TechnologyDomain::Building,
        "l'isolation thermique des bâtiments",
    ),
    ("Solar daylighting", "éclairage naturel", TechnologyDomain::Building, "l'éclairage naturel des pièces aveugles"),
    ("Optical fibre", "fibre optique", TechnologyDomain::Digital, "la fibre optique"),
    (
        "Smart grids",
        "réseaux électriques intelligents",
        TechnologyDomain::Energy,
        "les réseaux électriques intelligents",
    ),
    ("Wind power", "énergie éolienne", TechnologyDomain::Energy, "l'énergie éolienne"),
    ("Biogas", "méthanisation", TechnologyDomain::Energy, "la méthanisation des déchets organiques"),
    ("Wastewater treatment", "traitement des eaux usées", TechnologyDomain::Water, "le traitement des eaux usées"),
    ("Drip irrigation", "irrigation goutte à goutte", TechnologyDomain::Agriculture, "l'irrigation goutte à goutte"),
    ("Desalination", "dessalement", TechnologyDomain::Water, "le dessalement de l'eau de mer"),
    ("Leak detection", "détection de fuites", TechnologyDomain::Water, "la détection de fuites sur les réseaux d'eau"),
    (
        "Air quality monitoring",
        "surveillance de la qualité de l'air",
        TechnologyDomain::Air,
        "la surveillance de la qualité de l'air",
    ),
    ("Carbon capture", "captage du carbone", TechnologyDomain::Air, "le captage du carbone"),
    ("Odour treatment", "traitement des odeurs", TechnologyDomain::Air, "le traitement des odeurs industrielles"),
    (
        "Wildfire detection",
        "détection des feux de forêt",
        TechnologyDomain::NaturalRisks,
        "la détection précoce des feux de forêt",
    ),
    ("Flood forecasting", "prévision des inondations", TechnologyDomain::NaturalRisks, "la prévision des inondations"),
    ("Earthquake monitoring", "surveillance sismique", TechnologyDomain::NaturalRisks, "la surveillance sismique"),
    (
        "Biodiversity monitoring",
        "suivi de la biodiversité",
        TechnologyDomain::Biodiversity,
        "le suivi de la biodiversité",
    ),
    (
        "Ecological restoration",
        "génie écologique",
        TechnologyDomain::Biodiversity,
        "la restauration écologique des milieux",
    ),
    ("Precision agriculture", "agriculture de précision", TechnologyDomain::Agriculture, "l'agriculture de précision"),
    ("Composting", "compostage", TechnologyDomain::Waste, "le compostage industriel"),
    ("Plastic recycling", "recyclage des plastiques", TechnologyDomain::Waste, "le recyclage des plastiques"),
    ("Waste sorting", "tri des déchets", TechnologyDomain::Waste, "le tri automatisé des déchets"),
    ("Electric mobility", "mobilité électrique", TechnologyDomain::Mobility, "la mobilité électrique"),
    ("Charging stations", "bornes de recharge", TechnologyDomain::Mobility, "les bornes de recharge"),
    ("Cargo bikes", "vélos cargos", TechnologyDomain::Mobility, "les vélos cargos pour la logistique urbaine"),
    ("Drones", "drones", TechnologyDomain::Security, "les drones d'inspection"),
    ("Cybersecurity", "cybersécurité", TechnologyDomain::Security, "la cybersécurité des sites industriels"),
    ("Satellite imagery", "imagerie satellitaire", TechnologyDomain::Digital, "l'imagerie satellitaire"),
    ("Artificial intelligence", "intelligence artificielle", TechnologyDomain::Digital, "l'intelligence artificielle"),
    ("Digital twins", "jumeaux numériques", TechnologyDomain::Digital, "les jumeaux numériques"),
    ("Sensors", "capteurs", TechnologyDomain::Digital, "les capteurs connectés"),
    ("Life cycle assessment", "analyse du cycle de vie", TechnologyDomain::Other, "l'analyse du cycle de vie"),
];

const QUALIFIERS: &[(&str, &str)] = &[
    ("", ""),
    ("Industrial ", " industriel"),
    ("Urban ", " urbain"),
    ("Low-cost ", " à bas coût"),
    ("Embedded ", " embarqué"),
    ("Marine ", " marin"),
    ("Rural ", " rural"),
];

const SECTORS_FR: &[&str] = &[
    "les collectivités",
    "l'industrie",
    "les bâtiments tertiaires",
    "l'agriculture",
    "les ports",
    "les exploitants de réseaux",
    "les sites industriels",
    "les transporteurs",
    "les bailleurs sociaux",
    "les aéroports",
];
const SECTORS_EN: &[&str] = &[
    "local authorities",
    "industry",
    "office buildings",
    "farms",
    "ports",
    "network operators",
    "industrial sites",
    "hauliers",
    "housing providers",
    "airports",
];
/// Cities and their centres (WGS84): the first ones, the metropolis, host most companies.
const CITIES: &[(&str, f64, f64)] = &[
    ("Aix-en-Provence", 43.5297, 5.4474),
    ("Marseille", 43.2965, 5.3698),
    ("Toulon", 43.1242, 5.9280),
    ("Nice", 43.7102, 7.2620),
    ("Avignon", 43.9493, 4.8055),
    ("Montpellier", 43.6108, 3.8767),
    ("Arles", 43.6766, 4.6278),
    ("Gardanne", 43.4547, 5.4692),
    ("Vitrolles", 43.4600, 5.2486),
    ("Salon-de-Provence", 43.6403, 5.0970),
    ("Martigues", 43.4053, 5.0476),
    ("Aubagne", 43.2927, 5.5708),
    ("Istres", 43.5151, 4.9895),
    ("La Ciotat", 43.1748, 5.6047),
    ("Pertuis", 43.6942, 5.5019),
];

/// A city, most often one of the first four, and a point near its centre (within about 10 km,
/// closer more often than not).
fn place(rng: &mut Rng) -> (&'static str, Point) {
    let (city, latitude, longitude) = if rng.chance(60) { CITIES[rng.below(4)] } else { *rng.pick(CITIES) };
    let mut jitter =
        |degrees: f64| (0..2).map(|_| (rng.below(2001) as f64 - 1000.0) / 1000.0 * degrees / 2.0).sum::<f64>();
    let latitude = ((latitude + jitter(0.09)) * 1e5).round() / 1e5;
    let longitude = ((longitude + jitter(0.12)) * 1e5).round() / 1e5;
    (city, Point { latitude, longitude })
}
const PREFIXES: &[&str] =
    &["Eco", "Hydro", "Sol", "Terra", "Aero", "Bio", "Volt", "Aqua", "Geo", "Neo", "Lumi", "Clim"];
const SUFFIXES: &[&str] = &["tech", "ia", "lab", "gen", "sys", "vert", "nov", "flux", "sense", "wave", "ment", "ys"];

fn source() -> Vec<Source> {
    vec![Source {
        title: "Synthetic knowledge base generated by `pepite generate`".into(),
        url: None,
        published_on: None,
    }]
}

fn technologies() -> Vec<TechnologyDraft> {
    let mut out = Vec::new();
    for (i, (en, fr, domain, phrase)) in BASE_TECHNOLOGIES.iter().enumerate() {
        for (j, (q_en, q_fr)) in QUALIFIERS.iter().enumerate() {
            let slug = format!("tech-{i}-{j}");
            out.push(TechnologyDraft {
                name: format!("{q_en}{}", if q_en.is_empty() { en.to_string() } else { en.to_lowercase() }),
                aliases: vec![format!("{fr}{q_fr}"), format!("{q_en}{en}").to_lowercase()],
                parent: (j > 0).then(|| format!("tech-{i}-0")),
                description: Some(format!(
                    "Technologies for {}{}; in French: {phrase}.",
                    q_en.to_lowercase(),
                    en.to_lowercase()
                )),
                lang: Lang::En,
                website: None,
                sources: source(),
                translations: Vec::new(),
                domain: *domain,
                slug,
            });
        }
    }
    out
}

/// The synthetic organisations, `org-0` to `org-{count - 1}`.
fn organisations(rng: &mut Rng, count: usize) -> Vec<OrganisationDraft> {
    (0..count)
        .map(|i| {
            let kind = *rng.pick(&[
                OrganisationKind::Technopole,
                OrganisationKind::Cluster,
                OrganisationKind::BusinessNetwork,
                OrganisationKind::Chamber,
                OrganisationKind::Investor,
                OrganisationKind::Research,
            ]);
            let (city, point) = place(rng);
            OrganisationDraft {
                slug: format!("org-{i}"),
                name: format!("{} {} {i}", kind_name(kind), city),
                description: Some(format!("Organisation d'accompagnement des entreprises innovantes à {city}.")),
                lang: Lang::Fr,
                website: None,
                sources: source(),
                translations: Vec::new(),
                kind,
                city: Some(city.to_string()),
                aliases: Vec::new(),
                location: Some(point),
                places: Vec::new(),
            }
        })
        .collect()
}

/// Writes a knowledge base of `companies` companies as a JSON document.
pub fn write(out: &mut impl Write, companies: usize, seed: u64) -> io::Result<()> {
    let mut rng = Rng(seed);
    let techs = technologies();
    let org_count = (companies / 200).max(5);
    let organisations = organisations(&mut rng, org_count);
    let programme_count = (companies / 500).max(5);
    let programmes: Vec<ProgrammeDraft> = (0..programme_count)
        .map(|i| {
            let kind = *rng.pick(&[ProgrammeKind::Mentoring, ProgrammeKind::Funding, ProgrammeKind::Acceleration, ProgrammeKind::Incubation, ProgrammeKind::Networking]);
            let (_, fr, domain, phrase) = rng.pick(BASE_TECHNOLOGIES);
            ProgrammeDraft {
                slug: format!("programme-{i}"),
                name: format!("{} {fr} {i}", programme_name(kind)),
                description: Some(format!("Programme pour accompagner les start-up et PME qui travaillent sur {phrase}, de l'innovation à la production.")),
                lang: Lang::Fr,
                website: None,
                sources: source(),
                translations: Vec::new(),
                kind,
                operator: Some(format!("org-{}", rng.below(org_count))),
                // Criteria follow the programme's number, so that the random draws (and the
                // companies) stay those of earlier versions.
                eligible_stages: if i % 6 == 3 {
                    vec![CompanyStage::Midcap, CompanyStage::LargeGroup]
                } else {
                    vec![CompanyStage::Startup, CompanyStage::Sme]
                },
                eligible_domains: if i % 2 == 0 { vec![*domain] } else { Vec::new() },
                eligible_sites: if i % 3 == 1 { vec![format!("org-{}", i % org_count)] } else { Vec::new() },
                required_memberships: if i % 5 == 2 {
                    vec![format!("org-{}", (i * 7) % org_count)]
                } else {
                    Vec::new()
                },
                starts_on: None,
                ends_on: None,
                aliases: Vec::new(),
            }
        })
        .collect();

    write!(out, "{{\"organisations\":")?;
    serde_json::to_writer(&mut *out, &organisations)?;
    write!(out, ",\"technologies\":")?;
    serde_json::to_writer(&mut *out, &techs)?;
    write!(out, ",\"programmes\":")?;
    serde_json::to_writer(&mut *out, &programmes)?;
    // Needs and experts draw from a generator of their own: the companies stay those of
    // earlier versions.
    let mut mentoring = Rng(seed ^ 0x6d65_6e74_6f72);
    write!(out, ",\"companies\":[")?;
    for i in 0..companies {
        if i > 0 {
            out.write_all(b",")?;
        }
        let mut company = company(&mut rng, i, &techs, org_count, programme_count);
        if mentoring.chance(30) {
            let count = 1 + mentoring.below(2);
            company.needs = topics(&mut mentoring, count);
        }
        serde_json::to_writer(&mut *out, &company)?;
    }
    write!(out, "],\"people\":[")?;
    for i in 0..companies / 10 {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, &expert(&mut mentoring, i, &techs, org_count))?;
    }
    writeln!(out, "]}}")
}

/// Topics start-ups ask help with, the popular first: most draws land on the first few.
const TOPICS_BY_DEMAND: &[Topic] = &[
    Topic::Funding,
    Topic::Industrialisation,
    Topic::Sales,
    Topic::Export,
    Topic::Recruitment,
    Topic::IntellectualProperty,
    Topic::Regulation,
    Topic::Governance,
    Topic::Certification,
    Topic::Partnerships,
];

/// `count` distinct topics, skewed towards the popular ones (each step down the list halves the odds).
fn topics(rng: &mut Rng, count: usize) -> Vec<Topic> {
    let mut out = Vec::new();
    while out.len() < count {
        let mut i = 0;
        while i + 1 < TOPICS_BY_DEMAND.len() && rng.chance(50) {
            i += 1;
        }
        if !out.contains(&TOPICS_BY_DEMAND[i]) {
            out.push(TOPICS_BY_DEMAND[i]);
        }
    }
    out
}

/// A synthetic expert: most offer one to three topics and know one or two technologies.
fn expert(rng: &mut Rng, i: usize, techs: &[TechnologyDraft], orgs: usize) -> PersonDraft {
    let count = *rng.pick(&[1, 1, 2, 2, 2, 3]);
    let mut technologies: Vec<String> = (0..1 + rng.below(2)).map(|_| rng.pick(techs).slug.clone()).collect();
    technologies.dedup();
    let stages = match rng.below(3) {
        0 => vec![CompanyStage::Startup],
        1 => vec![CompanyStage::Startup, CompanyStage::Sme],
        _ => Vec::new(),
    };
    let languages = if rng.chance(40) { vec![Lang::Fr, Lang::En] } else { vec![Lang::Fr] };
    let roles = if rng.chance(60) {
        vec![RoleDraft {
            organisation: format!("org-{}", rng.below(orgs)),
            title: "experte".into(),
            since: None,
            until: None,
        }]
    } else {
        Vec::new()
    };
    PersonDraft {
        slug: format!("expert-{i}"),
        name: format!("Expert {}{} {i}", rng.pick(PREFIXES), rng.pick(SUFFIXES)),
        description: None,
        lang: Lang::Fr,
        website: None,
        sources: source(),
        translations: Vec::new(),
        roles,
        aliases: Vec::new(),
        mentor: Some(MentorDraft {
            since: None,
            topics: topics(rng, count),
            technologies,
            domains: Vec::new(),
            stages,
            languages,
            sources: source(),
        }),
    }
}

fn company(rng: &mut Rng, i: usize, techs: &[TechnologyDraft], orgs: usize, programmes: usize) -> CompanyDraft {
    let name = format!("{}{} {i}", rng.pick(PREFIXES), rng.pick(SUFFIXES));
    let count = 2 + rng.below(4);
    let mut chosen: Vec<usize> = (0..count).map(|_| rng.below(techs.len())).collect();
    chosen.sort_unstable();
    chosen.dedup();
    let base = |t: usize| &BASE_TECHNOLOGIES[t / QUALIFIERS.len()];
    let french = rng.chance(70);
    let sentences = 1 + rng.below(3);
    let mut description = String::new();
    for s in 0..sentences {
        let (en, _, _, phrase) = base(chosen[s % chosen.len()]);
        let sentence = match (french, s) {
            (true, 0) => format!("{name} développe des solutions pour {phrase} destinées à {}.", rng.pick(SECTORS_FR)),
            (true, 1) => format!("L'entreprise s'appuie sur {phrase} et sur l'expertise d'ingénieurs spécialisés."),
            (true, _) => format!("Ses systèmes améliorent {phrase} et réduisent l'empreinte carbone des clients."),
            (false, 0) => format!("{name} builds {} solutions for {}.", en.to_lowercase(), rng.pick(SECTORS_EN)),
            (false, 1) => format!("Its engineers combine {} with field data.", en.to_lowercase()),
            (false, _) => "Customers cut their energy use and emissions.".to_string(),
        };
        if s > 0 {
            description.push(' ');
        }
        description.push_str(&sentence);
    }
    let stage = *rng.pick(&[
        CompanyStage::Startup,
        CompanyStage::Startup,
        CompanyStage::Sme,
        CompanyStage::Sme,
        CompanyStage::Midcap,
        CompanyStage::LargeGroup,
    ]);
    let (city, point) = place(rng);
    let site = rng.chance(30).then(|| format!("org-{}", rng.below(orgs)));
    // Half the hosted companies are placed at their site only; a few have a second establishment.
    let location = (site.is_none() || rng.chance(50)).then_some(point);
    let places = if rng.chance(5) {
        let (city, other) = place(rng);
        vec![Place { name: format!("Établissement de {city}"), latitude: other.latitude, longitude: other.longitude }]
    } else {
        Vec::new()
    };
    CompanyDraft {
        slug: format!("company-{i}"),
        name,
        description: Some(description),
        lang: if french { Lang::Fr } else { Lang::En },
        website: None,
        sources: Vec::new(),
        translations: Vec::new(),
        stage,
        city: Some(city.to_string()),
        founded_year: Some(1990 + rng.below(35) as i32),
        employees: Some(1 + rng.below(500) as i32),
        site,
        technologies: chosen.iter().map(|&t| techs[t].slug.clone()).collect(),
        programmes: if rng.chance(20) { vec![format!("programme-{}", rng.below(programmes))] } else { Vec::new() },
        memberships: if rng.chance(25) { vec![format!("org-{}", rng.below(orgs))] } else { Vec::new() },
        aliases: Vec::new(),
        needs: Vec::new(),
        location,
        places,
    }
}

fn kind_name(kind: OrganisationKind) -> &'static str {
    match kind {
        OrganisationKind::Technopole => "Technopôle",
        OrganisationKind::Cluster => "Cluster",
        OrganisationKind::BusinessNetwork => "Réseau d'entreprises",
        OrganisationKind::Chamber => "Chambre de commerce",
        OrganisationKind::Investor => "Fonds d'investissement",
        _ => "Laboratoire",
    }
}

fn programme_name(kind: ProgrammeKind) -> &'static str {
    match kind {
        ProgrammeKind::Mentoring => "Mentorat",
        ProgrammeKind::Funding => "Fonds",
        ProgrammeKind::Acceleration => "Accélérateur",
        ProgrammeKind::Incubation => "Incubateur",
        _ => "Club",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::Document;

    #[test]
    fn the_same_seed_gives_the_same_valid_document() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        write(&mut a, 300, 7).unwrap();
        write(&mut b, 300, 7).unwrap();
        assert_eq!(a, b);
        let document = Document::parse(std::str::from_utf8(&a).unwrap()).unwrap();
        assert_eq!(document.companies.len(), 300);
        document.validate(&Default::default()).unwrap();
        let french = document.companies.iter().filter(|c| c.lang == Lang::Fr).count();
        assert!((170..=250).contains(&french), "{french} French descriptions out of 300");
        let stages: std::collections::HashSet<CompanyStage> = document.companies.iter().map(|c| c.stage).collect();
        assert_eq!(stages.len(), CompanyStage::ALL.len(), "every stage, so that partners are found");
        let programmes = &document.programmes;
        assert!(programmes.iter().any(|p| !p.eligible_domains.is_empty()));
        assert!(programmes.iter().any(|p| !p.eligible_sites.is_empty()));
        assert!(programmes.iter().any(|p| !p.required_memberships.is_empty()));
        assert!(document.companies.iter().any(|c| !c.memberships.is_empty()));
    }
}
