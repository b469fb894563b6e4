//! Which mentors: the experts who offer their experience to a company, ranked by what they share
//! with it and explained, and the reverse, the companies an expert could help.
//!
//! What sharing is worth: a topic the company needs and the expert helps with 4, a technology
//! both know 3, a technology of one that is a kind of a technology of the other 2 (as for
//! partners), an organisation the expert holds a role at that already works with the company
//! (the company is a member, is hosted there, or takes part in a programme it runs) 2, a domain
//! 1, the company's stage among those the expert prefers 1, a common language 1. Stage and
//! language alone do not make a match. The search index finds the best candidates with the same
//! weights; their scores and reasons are then worked out from the database.

use std::collections::{HashMap, HashSet};

use entity::{CompanyStage, Lang, TechnologyDomain, Topic, programme};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::partners::{RELATED_TECHNOLOGY, SAME_DOMAIN, SAME_TECHNOLOGY};
use super::{Named, Profile, Taxonomy, domain_words, organisations_named, profiles, taxonomy};
use crate::error::{AppError, Result};
use crate::kb::read::batch;
use crate::kb::{Kb, model};
use crate::search::mentors::Offered;
use crate::search::partners::Shared;

/// What a topic the company needs and the expert helps with is worth.
pub const NEEDED_TOPIC: f32 = 4.0;
/// What an organisation of the expert's that already works with the company is worth.
pub const SAME_ORGANISATION: f32 = 2.0;
/// What the company's stage among the expert's preferred ones is worth.
pub const SAME_STAGE: f32 = 1.0;
/// What a language both use is worth.
pub const SAME_LANGUAGE: f32 = 1.0;

/// The most suggestions one request may ask for.
pub const MAX_MENTORS: usize = 50;

/// What the rules need to know of an expert and their offer.
#[derive(Clone, Debug, PartialEq)]
pub struct Expert {
    pub id: i32,
    pub name: String,
    pub topics: Vec<Topic>,
    /// Ids of the technologies they know.
    pub technologies: Vec<i32>,
    pub domains: Vec<TechnologyDomain>,
    pub stages: Vec<CompanyStage>,
    pub languages: Vec<Lang>,
    /// The organisations they hold a role at.
    pub organisations: Vec<Named>,
}

impl Expert {
    /// The domains they know: those they name and those of their technologies, without repeats.
    pub fn all_domains(&self, taxonomy: &Taxonomy) -> Vec<TechnologyDomain> {
        let mut out = self.domains.clone();
        out.extend(self.technologies.iter().filter_map(|&t| taxonomy.get(t)).map(|t| t.domain));
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// What the rules need to know of a company to be helped.
#[derive(Clone, Debug, PartialEq)]
pub struct Mentee {
    pub profile: Profile,
    /// What it needs help with (the park's, or those the question gives).
    pub needs: Vec<Topic>,
    /// The language of its record.
    pub lang: Lang,
    /// The programmes it takes part in, with the organisation running each.
    pub operators: Vec<(Named, Named)>,
}

/// How much an expert and a company share, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    pub score: f32,
    pub reasons: Vec<String>,
}

/// Weighted index terms: those one of which a candidate must share, and those that only add.
#[derive(Clone, Debug, PartialEq)]
pub struct Terms<T> {
    pub required: Vec<(T, f32)>,
    pub bonus: Vec<(T, f32)>,
}

/// The index terms of the experts who could help `company`, with their weights; stage and
/// language only add.
pub fn mentor_terms(company: &Mentee, taxonomy: &Taxonomy) -> Terms<Offered> {
    let profile = &company.profile;
    let (own, related) = own_and_related(&profile.technologies, taxonomy);
    let slug = |id: &i32| taxonomy.get(*id).map(|t| t.slug.clone());
    let mut required: Vec<(Offered, f32)> = company.needs.iter().map(|t| (Offered::Topic(*t), NEEDED_TOPIC)).collect();
    required.extend(own.iter().filter_map(slug).map(|s| (Offered::Technology(s), SAME_TECHNOLOGY)));
    required.extend(related.iter().filter_map(slug).map(|s| (Offered::Technology(s), RELATED_TECHNOLOGY)));
    required.extend(profile.domains(taxonomy).into_iter().map(|d| (Offered::Domain(d), SAME_DOMAIN)));
    let organisations = profile.memberships.iter().chain(&profile.site).chain(company.operators.iter().map(|o| &o.1));
    let mut slugs: Vec<&String> = organisations.map(|o| &o.slug).collect();
    slugs.sort_unstable();
    slugs.dedup();
    required.extend(slugs.into_iter().map(|s| (Offered::Organisation(s.clone()), SAME_ORGANISATION)));
    let bonus = vec![(Offered::Stage(profile.stage), SAME_STAGE), (Offered::Language(company.lang), SAME_LANGUAGE)];
    Terms { required, bonus }
}

/// The index terms of the companies `expert` could help, with their weights; stage only adds.
/// `operated` are the slugs of the programmes the expert's organisations run.
pub fn mentee_terms(expert: &Expert, operated: &[String], taxonomy: &Taxonomy) -> Terms<Shared> {
    let (own, related) = own_and_related(&expert.technologies, taxonomy);
    let slug = |id: &i32| taxonomy.get(*id).map(|t| t.slug.clone());
    let mut required: Vec<(Shared, f32)> = expert.topics.iter().map(|t| (Shared::Need(*t), NEEDED_TOPIC)).collect();
    required.extend(own.iter().filter_map(slug).map(|s| (Shared::Technology(s), SAME_TECHNOLOGY)));
    required.extend(related.iter().filter_map(slug).map(|s| (Shared::Technology(s), RELATED_TECHNOLOGY)));
    required.extend(expert.all_domains(taxonomy).into_iter().map(|d| (Shared::Domain(d), SAME_DOMAIN)));
    for organisation in &expert.organisations {
        required.push((Shared::Membership(organisation.slug.clone()), SAME_ORGANISATION));
        required.push((Shared::Site(organisation.slug.clone()), SAME_ORGANISATION));
    }
    required.extend(operated.iter().map(|p| (Shared::Programme(p.clone()), SAME_ORGANISATION)));
    let bonus = expert.stages.iter().map(|s| (Shared::Stage(*s), SAME_STAGE)).collect();
    Terms { required, bonus }
}

/// The technologies `ids`, and those above or below them (`ids` left out).
fn own_and_related(ids: &[i32], taxonomy: &Taxonomy) -> (Vec<i32>, Vec<i32>) {
    let own: HashSet<i32> = ids.iter().copied().collect();
    let mut related: Vec<i32> = ids.iter().flat_map(|&t| taxonomy.ancestors(t)).collect();
    related.extend(taxonomy.descendants(ids));
    related.sort_unstable();
    related.dedup();
    related.retain(|t| !own.contains(t));
    (ids.to_vec(), related)
}

/// Scores and explains what `expert` could bring `company`; a score of 0 when they share
/// neither a topic, a technology, a domain nor an organisation.
pub fn explain(expert: &Expert, company: &Mentee, taxonomy: &Taxonomy) -> Match {
    let name = &company.profile.name;
    let mut score = 0.0;
    let mut reasons: Vec<String> = Vec::new();
    for topic in expert.topics.iter().filter(|t| company.needs.contains(t)) {
        score += NEEDED_TOPIC;
        reasons.push(format!("helps with {}, which {name} needs", topic.as_str()));
    }
    let (technology_score, explained) = technologies(expert, company, taxonomy, &mut reasons);
    score += technology_score;
    let ours = company.profile.domains(taxonomy);
    for domain in expert.all_domains(taxonomy).into_iter().filter(|d| ours.contains(d)) {
        score += SAME_DOMAIN;
        if !explained.contains(&domain) {
            reasons.push(format!("knows the {} domain, which {name} works in", domain_words(domain)));
        }
    }
    score += organisations(expert, company, &mut reasons);
    if score == 0.0 {
        return Match { score, reasons: Vec::new() };
    }
    let stage = company.profile.stage;
    if expert.stages.contains(&stage) {
        score += SAME_STAGE;
        reasons.push(format!("prefers to help {}, as {name} is one", stage_words(stage)));
    }
    if expert.languages.contains(&company.lang) {
        score += SAME_LANGUAGE;
        reasons.push(format!("mentors in {}, the language of {name}'s record", language_words(company.lang)));
    }
    Match { score, reasons }
}

/// The technologies both know, or one of which is a kind of the other's: their score, their
/// reasons, and the domains those reasons speak for.
fn technologies(
    expert: &Expert,
    company: &Mentee,
    taxonomy: &Taxonomy,
    reasons: &mut Vec<String>,
) -> (f32, HashSet<TechnologyDomain>) {
    let name = &company.profile.name;
    let own = &company.profile.technologies;
    let mut score = 0.0;
    let mut explained = HashSet::new();
    let mut related_reasons = Vec::new();
    let mut known: Vec<_> = expert.technologies.iter().filter_map(|&t| taxonomy.get(t)).collect();
    known.sort_by(|a, b| a.name.cmp(&b.name));
    for tech in known {
        if own.contains(&tech.id) {
            score += SAME_TECHNOLOGY;
            explained.insert(tech.domain);
            reasons.push(format!("knows {}, which {name} works on", tech.name));
            continue;
        }
        let theirs = || own.iter().filter_map(|&t| taxonomy.get(t));
        let sentence = if let Some(broad) = theirs().find(|o| taxonomy.is_below(tech.id, o.id)) {
            explained.extend([broad.domain, tech.domain]);
            format!("knows {}, a kind of {} that {name} works on", tech.name, broad.name)
        } else if let Some(narrow) = theirs().find(|o| taxonomy.is_below(o.id, tech.id)) {
            explained.extend([narrow.domain, tech.domain]);
            format!("{name} works on {}, a kind of {} that {} knows", narrow.name, tech.name, expert.name)
        } else {
            continue;
        };
        score += RELATED_TECHNOLOGY;
        related_reasons.push(sentence);
    }
    reasons.extend(related_reasons);
    (score, explained)
}

/// The expert's organisations that already work with the company: their score and reasons.
fn organisations(expert: &Expert, company: &Mentee, reasons: &mut Vec<String>) -> f32 {
    let name = &company.profile.name;
    let mut score = 0.0;
    let mut orgs: Vec<&Named> = expert.organisations.iter().collect();
    orgs.sort_by(|a, b| a.name.cmp(&b.name));
    orgs.dedup_by_key(|o| o.id);
    for org in orgs {
        let mut ties: Vec<String> = Vec::new();
        if company.profile.memberships.iter().any(|m| m.id == org.id) {
            ties.push(format!("which {name} is a member of"));
        }
        if company.profile.site.as_ref().is_some_and(|s| s.id == org.id) {
            ties.push(format!("which hosts {name}"));
        }
        for (programme, _) in company.operators.iter().filter(|(_, operator)| operator.id == org.id) {
            ties.push(format!("which runs {}, which {name} takes part in", programme.name));
        }
        for tie in ties {
            score += SAME_ORGANISATION;
            reasons.push(format!("holds a role at {}, {tie}", org.name));
        }
    }
    score
}

/// A stage in a sentence, plural: "start-ups", "SMEs".
fn stage_words(stage: CompanyStage) -> &'static str {
    match stage {
        CompanyStage::Startup => "start-ups",
        CompanyStage::Sme => "SMEs",
        CompanyStage::Midcap => "mid-caps",
        CompanyStage::LargeGroup => "large groups",
    }
}

fn language_words(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "French",
        Lang::En => "English",
    }
}

/// An expert suggested to a company.
#[derive(Clone, Debug, PartialEq)]
pub struct MentorSuggestion {
    pub person: model::Person,
    pub score: f32,
    pub reasons: Vec<String>,
}

/// A company an expert could help.
#[derive(Clone, Debug, PartialEq)]
pub struct MenteeSuggestion {
    pub company: model::Company,
    pub score: f32,
    pub reasons: Vec<String>,
}

/// Best first: the highest score, then by name, then by id.
fn rank<T>(list: &mut [(T, Match)], key: impl Fn(&T) -> (&str, i32)) {
    list.sort_by(|(a, ma), (b, mb)| mb.score.total_cmp(&ma.score).then_with(|| key(a).cmp(&key(b))));
}

/// The given programmes with the organisations running them.
fn operators_of(
    programmes: &[Named],
    operator_ids: &HashMap<i32, i32>,
    organisations: &HashMap<i32, Named>,
) -> Vec<(Named, Named)> {
    programmes.iter().filter_map(|p| Some((p.clone(), organisations.get(operator_ids.get(&p.id)?)?.clone()))).collect()
}

fn check_first(first: usize) -> Result<()> {
    if (1..=MAX_MENTORS).contains(&first) {
        Ok(())
    } else {
        Err(AppError::invalid("first", format!("must be between 1 and {MAX_MENTORS}, got {first}")))
    }
}

/// The given companies as the rules see them, with the organisations running their programmes.
async fn mentees(db: &impl ConnectionTrait, companies: Vec<model::Company>) -> Result<Vec<(model::Company, Mentee)>> {
    let ids: Vec<i32> = companies.iter().map(|c| c.header.id).collect();
    let mut profiles = profiles(db, &ids).await?;
    let programmes: Vec<i32> = profiles.values().flat_map(|p| p.programmes.iter().map(|n| n.id)).collect();
    let operator_ids: HashMap<i32, i32> = if programmes.is_empty() {
        HashMap::new()
    } else {
        programme::Entity::find()
            .select_only()
            .columns([programme::Column::Id, programme::Column::OperatorId])
            .filter(programme::Column::Id.is_in(programmes))
            .into_tuple::<(i32, Option<i32>)>()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(id, operator)| Some((id, operator?)))
            .collect()
    };
    let organisations = organisations_named(db, operator_ids.values().copied().collect()).await?;
    Ok(companies
        .into_iter()
        .filter_map(|company| {
            let profile = profiles.remove(&company.header.id)?;
            let operators = operators_of(&profile.programmes, &operator_ids, &organisations);
            let mentee = Mentee { needs: company.needs.clone(), lang: company.header.lang, operators, profile };
            Some((company, mentee))
        })
        .collect())
}

/// The given people who offer something, as the rules see them.
async fn experts(db: &impl ConnectionTrait, people: Vec<model::Person>) -> Result<Vec<(model::Person, Expert)>> {
    let people: Vec<model::Person> = people.into_iter().filter(|p| p.mentor.is_some()).collect();
    let ids: Vec<i32> = people.iter().map(|p| p.header.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut technologies = batch::mentor_technologies_of(db, &ids).await?;
    let mut roles = batch::roles_of(db, &ids).await?;
    let org_ids = roles.values().flatten().map(|r| r.organisation_id).collect();
    let organisations = organisations_named(db, org_ids).await?;
    Ok(people
        .into_iter()
        .filter_map(|person| {
            let offer = person.mentor.clone()?;
            let id = person.header.id;
            let roles = roles.remove(&id).unwrap_or_default();
            let expert = Expert {
                id,
                name: person.header.name.clone(),
                topics: offer.topics,
                technologies: technologies.remove(&id).unwrap_or_default(),
                domains: offer.domains,
                stages: offer.stages,
                languages: offer.languages,
                organisations: roles.iter().filter_map(|r| organisations.get(&r.organisation_id).cloned()).collect(),
            };
            Some((person, expert))
        })
        .collect())
}

/// The slugs of the programmes the given organisations run.
async fn operated_by(db: &impl ConnectionTrait, organisations: &[Named]) -> Result<Vec<String>> {
    if organisations.is_empty() {
        return Ok(Vec::new());
    }
    Ok(programme::Entity::find()
        .select_only()
        .column(programme::Column::Slug)
        .filter(programme::Column::OperatorId.is_in(organisations.iter().map(|o| o.id)))
        .into_tuple::<String>()
        .all(db)
        .await?)
}

impl Kb {
    /// Up to `first` experts who could help a company with what it needs (`topics`, or its own
    /// needs), best first, with reasons. Candidates come from the search index; only they are
    /// read from the database.
    #[tracing::instrument(skip(self))]
    pub async fn mentors(
        &self,
        company: i32,
        topics: Option<Vec<Topic>>,
        first: usize,
    ) -> Result<Vec<MentorSuggestion>> {
        check_first(first)?;
        let row = batch::by_id::<model::Company>(&self.db, company).await?;
        let row = row.ok_or_else(|| AppError::NotFound("no company has this id".into()))?;
        let Some((_, mut focal)) = mentees(&self.db, vec![row]).await?.pop() else {
            return Err(AppError::NotFound("no company has this id".into()));
        };
        if let Some(topics) = topics {
            focal.needs = topics;
        }
        let taxonomy = taxonomy(&self.db).await?;
        let terms = mentor_terms(&focal, &taxonomy);
        // More candidates than asked: ties at the cut are ordered by name here, not by the index.
        let candidates = self.search.mentor_candidates(terms.required, terms.bonus, first * 2 + 20).await?;
        let ids: Vec<i32> = candidates.iter().map(|(id, _)| *id).collect();
        // The index may lag a write behind: the database's rows decide.
        let people = batch::by_ids::<model::Person>(&self.db, &ids).await?;
        let mut list: Vec<(model::Person, Match)> = experts(&self.db, people)
            .await?
            .into_iter()
            .map(|(person, expert)| (person, explain(&expert, &focal, &taxonomy)))
            .filter(|(_, found)| found.score > 0.0)
            .collect();
        rank(&mut list, |p| (p.header.name_key.as_str(), p.header.id));
        list.truncate(first);
        Ok(list
            .into_iter()
            .map(|(person, m)| MentorSuggestion { person, score: m.score, reasons: m.reasons })
            .collect())
    }

    /// Up to `first` companies an expert could help, best first, with reasons; none for a
    /// person who offers nothing.
    #[tracing::instrument(skip(self))]
    pub async fn mentees(&self, person: i32, first: usize) -> Result<Vec<MenteeSuggestion>> {
        check_first(first)?;
        let row = batch::by_id::<model::Person>(&self.db, person).await?;
        let row = row.ok_or_else(|| AppError::NotFound("no person has this id".into()))?;
        let Some((_, expert)) = experts(&self.db, vec![row]).await?.pop() else { return Ok(Vec::new()) };
        let taxonomy = taxonomy(&self.db).await?;
        let operated = operated_by(&self.db, &expert.organisations).await?;
        let terms = mentee_terms(&expert, &operated, &taxonomy);
        let candidates = self.search.mentee_candidates(terms.required, terms.bonus, first * 2 + 20).await?;
        let ids: Vec<i32> = candidates.iter().map(|(id, _)| *id).collect();
        let companies = batch::by_ids::<model::Company>(&self.db, &ids).await?;
        let mut list: Vec<(model::Company, Match)> = mentees(&self.db, companies)
            .await?
            .into_iter()
            .map(|(company, mentee)| {
                let found = explain(&expert, &mentee, &taxonomy);
                (company, found)
            })
            .filter(|(_, found)| found.score > 0.0)
            .collect();
        rank(&mut list, |c| (c.header.name_key.as_str(), c.header.id));
        list.truncate(first);
        Ok(list
            .into_iter()
            .map(|(company, m)| MenteeSuggestion { company, score: m.score, reasons: m.reasons })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{company, named, taxonomy};
    use super::*;

    fn expert(technologies: &[i32]) -> Expert {
        Expert {
            id: 9,
            name: "Jeanne Exemple".into(),
            topics: vec![Topic::Industrialisation, Topic::Export],
            technologies: technologies.to_vec(),
            domains: vec![],
            stages: vec![CompanyStage::Startup],
            languages: vec![Lang::Fr],
            organisations: vec![],
        }
    }

    fn mentee(profile: Profile, needs: &[Topic]) -> Mentee {
        Mentee { profile, needs: needs.to_vec(), lang: Lang::Fr, operators: vec![] }
    }

    #[test]
    fn a_needed_topic_and_a_shared_technology_are_scored_and_explained() {
        let start = mentee(company(1, "Start", CompanyStage::Startup, &[1]), &[Topic::Industrialisation]);

        let found = explain(&expert(&[1]), &start, &taxonomy());

        assert_eq!(
            found.reasons,
            [
                "helps with INDUSTRIALISATION, which Start needs",
                "knows Photovoltaics, which Start works on",
                "prefers to help start-ups, as Start is one",
                "mentors in French, the language of Start's record",
            ]
        );
        assert_eq!(found.score, NEEDED_TOPIC + SAME_TECHNOLOGY + SAME_DOMAIN + SAME_STAGE + SAME_LANGUAGE);
    }

    #[test]
    fn a_technology_above_or_below_the_company_s_is_related() {
        let narrow = mentee(company(1, "Start", CompanyStage::Sme, &[2]), &[]);
        let broad = mentee(company(2, "Groupe", CompanyStage::Sme, &[1]), &[]);

        let knows_parent = explain(&expert(&[1]), &narrow, &taxonomy());
        let knows_child = explain(&expert(&[2]), &broad, &taxonomy());

        let french = "mentors in French, the language of Start's record";
        assert_eq!(
            knows_parent.reasons,
            ["Start works on Perovskite cells, a kind of Photovoltaics that Jeanne Exemple knows", french]
        );
        assert_eq!(knows_child.reasons[0], "knows Perovskite cells, a kind of Photovoltaics that Groupe works on");
        assert_eq!(knows_parent.score, RELATED_TECHNOLOGY + SAME_DOMAIN + SAME_LANGUAGE);
    }

    #[test]
    fn stage_and_language_alone_make_no_match() {
        let water = mentee(company(1, "Eau", CompanyStage::Startup, &[4]), &[Topic::Funding]);
        assert_eq!(explain(&expert(&[1]), &water, &taxonomy()).score, 0.0);
    }

    #[test]
    fn an_organisation_that_works_with_the_company_is_explained_each_way() {
        let mut profile = company(1, "Start", CompanyStage::Midcap, &[4]);
        profile.memberships = vec![named(30, "Safe Cluster")];
        let mut start = mentee(profile, &[]);
        start.operators = vec![(named(40, "Mentorat"), named(31, "UPE 13"))];
        let mut jeanne = expert(&[]);
        jeanne.organisations = vec![named(30, "Safe Cluster"), named(31, "UPE 13")];

        let found = explain(&jeanne, &start, &taxonomy());

        assert_eq!(
            found.reasons,
            [
                "holds a role at Safe Cluster, which Start is a member of",
                "holds a role at UPE 13, which runs Mentorat, which Start takes part in",
                "mentors in French, the language of Start's record",
            ]
        );
        assert_eq!(found.score, 2.0 * SAME_ORGANISATION + SAME_LANGUAGE);
    }

    #[test]
    fn the_index_terms_carry_the_same_weights_as_the_scores() {
        let start = mentee(company(1, "Start", CompanyStage::Startup, &[2]), &[Topic::Export]);
        let Terms { required, bonus } = mentor_terms(&start, &taxonomy());
        assert_eq!(
            required,
            [
                (Offered::Topic(Topic::Export), NEEDED_TOPIC),
                (Offered::Technology("perovskite-cells".into()), SAME_TECHNOLOGY),
                (Offered::Technology("photovoltaics".into()), RELATED_TECHNOLOGY),
                (Offered::Domain(TechnologyDomain::Energy), SAME_DOMAIN),
            ]
        );
        assert_eq!(
            bonus,
            [(Offered::Stage(CompanyStage::Startup), SAME_STAGE), (Offered::Language(Lang::Fr), SAME_LANGUAGE)]
        );
        let Terms { required, bonus } = mentee_terms(&expert(&[1]), &["mentorat".into()], &taxonomy());
        assert_eq!(required[0], (Shared::Need(Topic::Industrialisation), NEEDED_TOPIC));
        assert!(required.contains(&(Shared::Technology("perovskite-cells".into()), RELATED_TECHNOLOGY)));
        assert!(required.contains(&(Shared::Programme("mentorat".into()), SAME_ORGANISATION)));
        assert_eq!(bonus, [(Shared::Stage(CompanyStage::Startup), SAME_STAGE)]);
    }
}
