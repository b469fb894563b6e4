//! Text analysis, registered by name in one place: accents are folded *before* stemming, on
//! indexed text and queries alike, so "énergie" and "energie" share a stem.

use frostem::Algorithm;
use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter, TextAnalyzer, Token as Tantivy,
    TokenFilter, TokenStream, Tokenizer, TokenizerManager,
};

/// French text: folded, French stop words and elided articles dropped, French stems.
pub const FRENCH: &str = "pepite_fr";
/// English text: folded, English stop words dropped, English stems.
pub const ENGLISH: &str = "pepite_en";
/// Every word, folded and lower-cased but not stemmed: for typos, prefixes, phrases and suggestions.
pub const RAW: &str = "pepite_raw";
/// The same three analyses for texts that repeat from one document to the next (the names of
/// linked entities, the vocabulary, cities): each text is analysed once, then its tokens replayed.
pub const FRENCH_REPEATED: &str = "pepite_fr_repeated";
pub const ENGLISH_REPEATED: &str = "pepite_en_repeated";
pub const RAW_REPEATED: &str = "pepite_raw_repeated";

/// French stop words, accents folded, with the particles elision leaves behind (l', d', qu'…).
const FRENCH_STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "avec", "ce", "ces", "c", "d", "dans", "de", "des", "du", "elle", "en", "et", "eux", "il", "ils",
    "j", "je", "l", "la", "le", "les", "leur", "leurs", "lui", "m", "ma", "mais", "me", "meme", "mes", "moi", "mon",
    "n", "ne", "nos", "notre", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "s", "sa", "se", "ses",
    "son", "sur", "t", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos", "votre", "vous", "y", "est", "sont",
    "ete", "etre", "jusqu", "lorsqu", "puisqu", "quoiqu", "cet", "cette", "afin", "ainsi", "entre", "sans", "sous",
];

const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "if", "in", "into", "is", "it", "its", "no",
    "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
    "which", "will", "with", "we", "our", "your",
];

/// Longer tokens are noise (hashes, URLs) and are dropped.
const MAX_TOKEN_LEN: usize = 40;

fn stop_words(words: &[&str]) -> StopWordFilter {
    StopWordFilter::remove(words.iter().map(|w| w.to_string()))
}

fn french() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(stop_words(FRENCH_STOP_WORDS))
        .filter(CachedStemmer::new(Algorithm::French))
        .build()
}

fn english() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(stop_words(ENGLISH_STOP_WORDS))
        .filter(CachedStemmer::new(Algorithm::English))
        .build()
}

fn raw() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Distinct words a stemming filter remembers; it forgets them all when full. Names, linked
/// names and vocabulary repeat from one entity to the next, so most words are stemmed once.
const STEM_CACHE: usize = 20_000;

/// Snowball stemming, as tantivy's `Stemmer` does it, with the stems of the words already seen
/// remembered: indexing spent about a fifth of its time stemming the same words again. Each
/// copy of an analyzer (one per indexing thread and field) has a cache of its own.
#[derive(Clone, Copy)]
struct CachedStemmer {
    algorithm: Algorithm,
    capacity: usize,
}

impl CachedStemmer {
    fn new(algorithm: Algorithm) -> Self {
        CachedStemmer { algorithm, capacity: STEM_CACHE }
    }
}

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter { stemmer: self, inner, stems: FxHashMap::default() }
    }
}

struct CachedStemmerFilter<T> {
    stemmer: CachedStemmer,
    inner: T,
    stems: FxHashMap<String, String>,
}

/// A copy starts with an empty cache.
impl<T: Clone> Clone for CachedStemmerFilter<T> {
    fn clone(&self) -> Self {
        CachedStemmerFilter { stemmer: self.stemmer, inner: self.inner.clone(), stems: FxHashMap::default() }
    }
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(self.stemmer.algorithm),
            capacity: self.stemmer.capacity,
            stems: &mut self.stems,
        }
    }
}

struct CachedStemmerStream<'a, T> {
    tail: T,
    stemmer: frostem::Stemmer,
    capacity: usize,
    stems: &'a mut FxHashMap<String, String>,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.stems.get(&token.text) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        let stem = self.stemmer.stem(&token.text).into_owned();
        if self.stems.len() >= self.capacity {
            self.stems.clear();
        }
        self.stems.insert(std::mem::replace(&mut token.text, stem.clone()), stem);
        true
    }

    fn token(&self) -> &Tantivy {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Tantivy {
        self.tail.token_mut()
    }
}

/// Distinct texts a remembering analyzer keeps the tokens of; it forgets them all when full. A
/// million companies link to some 8,000 distinct names.
const TEXT_CACHE: usize = 16_384;

/// An analyzer that remembers the tokens of the texts it has analysed, and replays them when it
/// sees the same text again: the words, offsets and positions its inner analyzer gave. Each copy
/// (one per indexing thread and field) has a cache of its own, and starts empty.
struct Remembered {
    inner: TextAnalyzer,
    capacity: usize,
    /// Where the tokens of each text are in `tokens`: a text seen again costs one lookup.
    texts: FxHashMap<String, usize>,
    tokens: Vec<Vec<Tantivy>>,
}

impl Remembered {
    fn new(inner: TextAnalyzer) -> Self {
        Remembered { inner, capacity: TEXT_CACHE, texts: FxHashMap::default(), tokens: Vec::new() }
    }
}

impl Clone for Remembered {
    fn clone(&self) -> Self {
        Remembered { capacity: self.capacity, ..Remembered::new(self.inner.clone()) }
    }
}

impl Tokenizer for Remembered {
    type TokenStream<'a> = Replay<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Replay<'a> {
        let at = match self.texts.get(text) {
            Some(&at) => at,
            None => {
                if self.tokens.len() >= self.capacity {
                    self.texts.clear();
                    self.tokens.clear();
                }
                let mut tokens = Vec::new();
                let mut stream = self.inner.token_stream(text);
                while let Some(token) = stream.next() {
                    tokens.push(token.clone());
                }
                let at = self.tokens.len();
                self.tokens.push(tokens);
                self.texts.insert(text.to_string(), at);
                at
            }
        };
        Replay { rest: &self.tokens[at], current: None, changed: None }
    }
}

/// The remembered tokens of one text, lent as they are; a token is copied only to be changed.
struct Replay<'a> {
    /// The tokens not read yet.
    rest: &'a [Tantivy],
    current: Option<&'a Tantivy>,
    /// The current token, copied by `token_mut`.
    changed: Option<Tantivy>,
}

impl TokenStream for Replay<'_> {
    fn advance(&mut self) -> bool {
        self.changed = None;
        let Some((token, rest)) = self.rest.split_first() else { return false };
        (self.current, self.rest) = (Some(token), rest);
        true
    }

    fn token(&self) -> &Tantivy {
        static NONE: std::sync::LazyLock<Tantivy> = std::sync::LazyLock::new(Tantivy::default);
        self.changed.as_ref().or(self.current).unwrap_or(&NONE)
    }

    fn token_mut(&mut self) -> &mut Tantivy {
        let current = self.current;
        self.changed.get_or_insert_with(|| current.cloned().unwrap_or_default())
    }
}

/// Registers Pépite's analyzers on an index's tokenizer manager.
pub fn register(manager: &TokenizerManager) {
    manager.register(FRENCH, french());
    manager.register(ENGLISH, english());
    manager.register(RAW, raw());
    manager.register(FRENCH_REPEATED, TextAnalyzer::from(Remembered::new(french())));
    manager.register(ENGLISH_REPEATED, TextAnalyzer::from(Remembered::new(english())));
    manager.register(RAW_REPEATED, TextAnalyzer::from(Remembered::new(raw())));
}

/// The analyzers a query is run through, kept ready for reuse.
#[derive(Clone)]
pub struct Analyzers {
    french: TextAnalyzer,
    english: TextAnalyzer,
    raw: TextAnalyzer,
}

/// A token and where it stands in the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub from: usize,
    pub to: usize,
}

impl Default for Analyzers {
    fn default() -> Self {
        Analyzers { french: french(), english: english(), raw: raw() }
    }
}

thread_local! {
    static ANALYZERS: std::cell::RefCell<Analyzers> = std::cell::RefCell::new(Analyzers::default());
}

impl Analyzers {
    /// Runs `work` with this thread's analyzers: building them costs more than analyzing a query.
    pub fn with<T>(work: impl FnOnce(&mut Analyzers) -> T) -> T {
        ANALYZERS.with(|analyzers| work(&mut analyzers.borrow_mut()))
    }

    /// Folded, lower-cased words of `text`, with their byte offsets.
    pub fn raw_tokens(&mut self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let mut stream = self.raw.token_stream(text);
        while let Some(t) = stream.next() {
            out.push(Token { text: t.text.clone(), from: t.offset_from, to: t.offset_to });
        }
        out
    }

    /// The French stem of one folded word, or `None` for a stop word.
    pub fn french_stem(&mut self, word: &str) -> Option<String> {
        first_token(&mut self.french, word)
    }

    /// The English stem of one folded word, or `None` for a stop word.
    pub fn english_stem(&mut self, word: &str) -> Option<String> {
        first_token(&mut self.english, word)
    }

    /// Whether a folded word carries no meaning in French or English.
    pub fn is_stop_word(word: &str) -> bool {
        FRENCH_STOP_WORDS.contains(&word) || ENGLISH_STOP_WORDS.contains(&word)
    }
}

fn first_token(analyzer: &mut TextAnalyzer, word: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(word);
    stream.next().map(|t| t.text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cached stems are tantivy's, for words seen once, seen again, and after the cache is
    /// emptied for want of room.
    #[test]
    fn cached_stems_are_the_stemmers_stems() {
        use tantivy::tokenizer::{Language, Stemmer};
        let text = "énergies renouvelables batteries électriques recyclage des batteries, pompes à chaleur, \
                    heat pumps lighting lights analysing analysis carburants carburant énergies";
        for (algorithm, language) in [(Algorithm::French, Language::French), (Algorithm::English, Language::English)] {
            let stems = |analyzer: &mut TextAnalyzer| {
                let mut stream = analyzer.token_stream(text);
                let mut out = Vec::new();
                while let Some(t) = stream.next() {
                    out.push((t.text.clone(), t.offset_from, t.position));
                }
                out
            };
            let mut plain = TextAnalyzer::builder(SimpleTokenizer::default()).filter(Stemmer::new(language)).build();
            let expected = stems(&mut plain);
            assert_eq!(expected.len(), 19, "{expected:?}");
            for capacity in [STEM_CACHE, 3] {
                let mut cached = TextAnalyzer::builder(SimpleTokenizer::default())
                    .filter(CachedStemmer { algorithm, capacity })
                    .build();
                assert_eq!(stems(&mut cached), expected, "first pass, capacity {capacity}");
                assert_eq!(stems(&mut cached), expected, "second pass, capacity {capacity}");
                assert_eq!(stems(&mut cached.clone()), expected, "a copy, capacity {capacity}");
            }
        }
    }

    /// A remembering analyzer gives its inner analyzer's tokens (words, offsets, positions), for
    /// texts seen once, seen again, after it forgot them for want of room, and in a copy.
    #[test]
    fn remembered_tokens_are_the_analyzers_tokens() {
        let texts = ["Pompes à chaleur", "Région Sud", "L’Énergie d'été, énergies", "Pompes à chaleur", ""];
        let tokens = |analyzer: &mut TextAnalyzer, text: &str| {
            let mut stream = analyzer.token_stream(text);
            let mut out = Vec::new();
            while let Some(t) = stream.next() {
                out.push((t.text.clone(), t.offset_from, t.offset_to, t.position, t.position_length));
            }
            out
        };
        let remembering = |inner: TextAnalyzer, capacity: usize| Remembered { capacity, ..Remembered::new(inner) };
        // Each analyzer, and the same remembered with a given capacity.
        type Remembering<'a> = &'a dyn Fn(usize) -> TextAnalyzer;
        let analyzers: [(fn() -> TextAnalyzer, Remembering); 4] = [
            (french, &|capacity| remembering(french(), capacity).into()),
            (english, &|capacity| remembering(english(), capacity).into()),
            (raw, &|capacity| remembering(raw(), capacity).into()),
            // Filters after it change the tokens it lends: the raw analysis, then French stemming.
            (french, &|capacity| {
                TextAnalyzer::builder(remembering(raw(), capacity))
                    .filter(stop_words(FRENCH_STOP_WORDS))
                    .filter(CachedStemmer::new(Algorithm::French))
                    .build()
            }),
        ];
        for (inner, remembered) in analyzers {
            for capacity in [TEXT_CACHE, 2] {
                let mut remembered = remembered(capacity);
                for pass in 0..2 {
                    for text in texts {
                        let expected = tokens(&mut inner(), text);
                        assert_eq!(
                            tokens(&mut remembered, text),
                            expected,
                            "{text:?}, pass {pass}, capacity {capacity}"
                        );
                        assert_eq!(tokens(&mut remembered.clone(), text), expected, "a copy, {text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn accents_are_folded_before_stemming() {
        let mut a = Analyzers::default();
        assert_eq!(a.french_stem("énergie"), a.french_stem("energie"));
        assert_eq!(a.french_stem("bâtiments"), a.french_stem("batiment"));
        assert_eq!(a.french_stem("carburants"), a.french_stem("carburant"));
        assert_eq!(a.english_stem("lighting"), a.english_stem("light"));
        assert_eq!(a.french_stem("des"), None);
    }

    #[test]
    fn elisions_split_off_and_raw_tokens_keep_offsets() {
        let mut a = Analyzers::default();
        let tokens = a.raw_tokens("L’Énergie d'été");
        let words: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(words, ["l", "energie", "d", "ete"]);
        assert_eq!(&"L’Énergie d'été"[tokens[1].from..tokens[1].to], "Énergie");
        assert!(Analyzers::is_stop_word("l") && Analyzers::is_stop_word("qu"));
    }
}
