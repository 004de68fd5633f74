/*
 * English analysis for the Elasticsearch integ-test-zip.
 *
 * The normal Elasticsearch distribution bundles the `analysis-common` module (language analyzers,
 * most token filters and tokenizers). The integ-test-zip published on Maven Central does not, and
 * the module itself is not published on Maven, so ES from that zip has no `english` analyzer, no
 * `porter_stem` / `stemmer` filter and no `whitespace` tokenizer (the server core itself keeps
 * `standard`, `lowercase`, `stop`, `shingle` and the standard/simple/stop/whitespace/keyword
 * analyzers). This small classic plugin, compiled by scripts/engines.sh against the unpacked
 * distribution's lib/*.jar, registers the same Lucene classes that analysis-common uses for:
 *
 *   analyzer  english      EnglishAnalyzer; settings stopwords, stopwords_path, stem_exclusion
 *   filter    porter_stem  PorterStemFilter
 *   filter    stemmer      language|name: english, porter (default), porter2, light_english,
 *                          kstem, minimal_english, possessive_english
 *   tokenizer whitespace   WhitespaceTokenizer; setting max_token_length (default 255)
 *
 * and, because the security index (`.security`, made for API keys and native users) declares an
 * `email` analyzer built of them, without which `POST /_security/api_key` fails with "Unknown
 * filter type [pattern_capture]":
 *
 *   tokenizer uax_url_email    UAX29URLEmailTokenizer; max_token_length (default 255)
 *   filter    pattern_capture  PatternCaptureGroupTokenFilter; patterns, preserve_original (true)
 *   filter    unique           drops a token whose text came earlier in the stream;
 *                              only_on_same_position (false)
 *
 * Dev/CI use only.
 */
package org.sembridge.analysis;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.miscellaneous.RemoveDuplicatesTokenFilter;
import org.apache.lucene.analysis.pattern.PatternCaptureGroupTokenFilter;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenizerFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.tartarus.snowball.ext.EnglishStemmer;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.Map;
import java.util.function.UnaryOperator;

public class SembridgeAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends org.apache.lucene.analysis.Analyzer>>> getAnalyzers() {
        return Map.of("english", EnglishProvider::new);
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "porter_stem", (is, env, name, s) -> filter(name, PorterStemFilter::new),
            "stemmer", SembridgeAnalysisPlugin::stemmer,
            "pattern_capture", (is, env, name, s) -> {
                List<String> regexes = s.getAsList("patterns");
                Pattern[] patterns = new Pattern[regexes.size()];
                for (int i = 0; i < patterns.length; i++) {
                    patterns[i] = Pattern.compile(regexes.get(i));
                }
                boolean preserve = s.getAsBoolean("preserve_original", true);
                return filter(name, in -> new PatternCaptureGroupTokenFilter(in, preserve, patterns));
            },
            "unique", (is, env, name, s) -> s.getAsBoolean("only_on_same_position", false)
                ? filter(name, RemoveDuplicatesTokenFilter::new)
                : filter(name, UniqueTokenFilter::new)
        );
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("whitespace", (is, env, name, s) -> {
            int max = s.getAsInt("max_token_length", StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH);
            return new AbstractTokenizerFactory(name) {
                @Override
                public Tokenizer create() {
                    return new WhitespaceTokenizer(TokenStream.DEFAULT_TOKEN_ATTRIBUTE_FACTORY, max);
                }
            };
        }, "uax_url_email", (is, env, name, s) -> {
            int max = s.getAsInt("max_token_length", StandardAnalyzer.DEFAULT_MAX_TOKEN_LENGTH);
            return new AbstractTokenizerFactory(name) {
                @Override
                public Tokenizer create() {
                    UAX29URLEmailTokenizer t = new UAX29URLEmailTokenizer();
                    t.setMaxTokenLength(max);
                    return t;
                }
            };
        });
    }

    /** Keeps the first token of each text in the stream (analysis-common's `unique`). */
    static final class UniqueTokenFilter extends TokenFilter {
        private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
        private final CharArraySet seen = new CharArraySet(8, false);

        UniqueTokenFilter(TokenStream in) {
            super(in);
        }

        @Override
        public boolean incrementToken() throws IOException {
            while (input.incrementToken()) {
                if (!seen.contains(term.buffer(), 0, term.length())) {
                    seen.add(new String(term.buffer(), 0, term.length()));
                    return true;
                }
            }
            return false;
        }

        @Override
        public void reset() throws IOException {
            super.reset();
            seen.clear();
        }
    }

    /** Same as analysis-common's EnglishAnalyzerProvider. */
    static final class EnglishProvider extends AbstractIndexAnalyzerProvider<EnglishAnalyzer> {
        private final EnglishAnalyzer analyzer;

        EnglishProvider(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name);
            analyzer = new EnglishAnalyzer(
                Analysis.parseStopWords(env, settings, EnglishAnalyzer.getDefaultStopSet()),
                Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET)
            );
        }

        @Override
        public EnglishAnalyzer get() {
            return analyzer;
        }
    }

    private static TokenFilterFactory stemmer(IndexSettings is, Environment env, String name, Settings s) {
        String language = s.get("language", s.get("name", "porter"));
        return switch (language.toLowerCase(Locale.ROOT)) {
            case "english", "porter" -> filter(name, PorterStemFilter::new);
            case "porter2" -> filter(name, in -> new SnowballFilter(in, new EnglishStemmer()));
            case "light_english", "lightenglish", "kstem" -> filter(name, KStemFilter::new);
            case "minimal_english", "minimalenglish" -> filter(name, EnglishMinimalStemFilter::new);
            case "possessive_english", "possessiveenglish" -> filter(name, EnglishPossessiveFilter::new);
            default -> throw new IllegalArgumentException(
                "stemmer language [" + language + "] is not supported by the sembridge-analysis stand-in "
                    + "(english, porter, porter2, light_english, kstem, minimal_english, possessive_english); "
                    + "the full analysis-common module is not in the Elasticsearch integ-test-zip"
            );
        };
    }

    private static TokenFilterFactory filter(String name, UnaryOperator<TokenStream> f) {
        return new AbstractTokenFilterFactory(name) {
            @Override
            public TokenStream create(TokenStream in) {
                return f.apply(in);
            }
        };
    }
}
