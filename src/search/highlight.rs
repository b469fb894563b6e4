//! Snippets with matched words marked `<mark>…</mark>`, everything else HTML-escaped.
//!
//! Matching mirrors the query: the same folded word, the same stem in French or English,
//! a word within the typo budget, or the last word as a prefix.

use super::analyzer::Analyzers;
use super::expand::{typo_budget, typos};

/// Longest snippet of a long text, in characters.
const SNIPPET_CHARS: usize = 200;

/// A piece of a matched field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Highlight {
    /// `name`, `aliases`, `description`, or `related` (names of linked entities).
    pub field: String,
    /// HTML: the text around the matches, matched words in `<mark>` elements.
    pub snippet: String,
}

/// Decides which words of a text the query matched.
pub struct Matcher {
    words: Vec<String>,
    stems: Vec<String>,
    prefix: Option<String>,
}

impl Matcher {
    pub fn new(words: &[String], prefix: bool, phrases: &[Vec<String>]) -> Matcher {
        Analyzers::with(|analyzers| Matcher::with_analyzers(words, prefix, phrases, analyzers))
    }

    fn with_analyzers(words: &[String], prefix: bool, phrases: &[Vec<String>], analyzers: &mut Analyzers) -> Matcher {
        let mut all: Vec<String> = words.to_vec();
        all.extend(phrases.iter().flatten().filter(|w| !Analyzers::is_stop_word(w)).cloned());
        let stems = all.iter().flat_map(|w| [analyzers.french_stem(w), analyzers.english_stem(w)]).flatten().collect();
        let prefix = if prefix { words.last().cloned() } else { None };
        Matcher { words: all, stems, prefix }
    }

    fn matches(&self, word: &str, analyzers: &mut Analyzers) -> bool {
        if Analyzers::is_stop_word(word) {
            return false;
        }
        if self.words.iter().any(|w| w == word || within(w, word)) {
            return true;
        }
        if self.prefix.as_deref().is_some_and(|p| word.starts_with(p)) {
            return true;
        }
        [analyzers.french_stem(word), analyzers.english_stem(word)]
            .into_iter()
            .flatten()
            .any(|stem| self.stems.contains(&stem))
    }
}

/// Whether `candidate` is within the typo budget of the query word.
fn within(query: &str, candidate: &str) -> bool {
    let budget = typo_budget(query);
    budget > 0 && typos(query, candidate, budget).is_some()
}

/// The snippet of `text` around its best run of matches, or `None` when nothing in it matched.
pub fn snippet(field: &str, text: &str, matcher: &Matcher, analyzers: &mut Analyzers) -> Option<Highlight> {
    let marks: Vec<(usize, usize)> = analyzers
        .raw_tokens(text)
        .into_iter()
        .filter(|t| matcher.matches(&t.text, analyzers))
        .map(|t| (t.from, t.to))
        .collect();
    if marks.is_empty() {
        return None;
    }
    // The window starting at the mark that has the most marks within reach.
    let best = (0..marks.len())
        .max_by_key(|&i| {
            (marks[i..].iter().take_while(|m| m.1 - marks[i].0 <= SNIPPET_CHARS * 2).count(), usize::MAX - i)
        })
        .unwrap_or(0);
    let (start, end) = if text.chars().count() <= SNIPPET_CHARS {
        (0, text.len())
    } else {
        let start = floor_boundary(text, marks[best].0.saturating_sub(SNIPPET_CHARS / 4));
        let start =
            text[..start].rfind(char::is_whitespace).map_or(start, |ws| if start - ws < 20 { ws + 1 } else { start });
        let end = text[start..].char_indices().nth(SNIPPET_CHARS).map_or(text.len(), |(i, _)| start + i);
        (start, end)
    };
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(from, to) in marks.iter().filter(|m| m.0 >= start && m.1 <= end) {
        escape_into(&mut out, &text[at..from]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[from..to]);
        out.push_str("</mark>");
        at = to;
    }
    escape_into(&mut out, &text[at..end]);
    if end < text.len() {
        out.push('…');
    }
    Some(Highlight { field: field.to_string(), snippet: out })
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(text: &str, words: &[&str], prefix: bool) -> Option<String> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let matcher = Matcher::new(&words, prefix, &[]);
        snippet("description", text, &matcher, &mut Analyzers::default()).map(|h| h.snippet)
    }

    #[test]
    fn stems_typos_and_prefixes_are_marked_and_the_rest_escaped() {
        assert_eq!(
            mark("Analyse des carburants <b>&", &["carburant"], false).unwrap(),
            "Analyse des <mark>carburants</mark> &lt;b&gt;&amp;"
        );
        assert_eq!(
            mark("optimisation de la combustion", &["combustoin"], false).unwrap(),
            "optimisation de la <mark>combustion</mark>"
        );
        assert_eq!(
            mark("panneaux photovoltaïques", &["photovolt"], true).unwrap(),
            "panneaux <mark>photovoltaïques</mark>"
        );
        assert_eq!(mark("rien à voir", &["carburant"], false), None);
    }

    #[test]
    fn long_texts_are_cut_around_the_matches() {
        let text = format!("{} fibre optique {}", "mot ".repeat(200), "fin ".repeat(200));
        let snippet = mark(&text, &["fibre"], false).unwrap();
        assert!(snippet.starts_with('…') && snippet.ends_with('…'));
        assert!(snippet.contains("<mark>fibre</mark>"));
        assert!(snippet.chars().count() < 260);
    }
}
