package io.chartgate.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The real-world index.yaml shapes of {@code src/test/resources/index-corpus/} (its README.md says where each
 * one comes from). The files are templates: {@value #UPSTREAM} stands for the upstream's base URL (no trailing
 * '/') and {@code @DIGEST:NAME-VERSION@} for the SHA-256 of that chart archive. {@link #fill} puts the values in
 * and changes no other byte, so a byte-order mark, CRLF line ends and UTF-8 text reach the test as committed.
 */
public final class IndexCorpus {

    /** Stands for the upstream's base URL, without a trailing '/'. */
    public static final String UPSTREAM = "@UPSTREAM@";

    private static final Pattern DIGEST = Pattern.compile("@DIGEST:([^@\\s]+)@");

    private IndexCorpus() {
    }

    /** The corpus directory, as the build copied it to the test class path. */
    public static Path dir() {
        URL readme = IndexCorpus.class.getResource("/index-corpus/README.md");
        if (readme == null) {
            throw new IllegalStateException("index-corpus/README.md is not on the test class path");
        }
        try {
            return Path.of(readme.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The name of every index in the corpus ({@code *.yaml} and {@code *.json}), sorted. */
    public static List<String> files() {
        try (Stream<Path> files = Files.list(dir())) {
            return files.map(p -> p.getFileName().toString())
                    .filter(name -> name.endsWith(".yaml") || name.endsWith(".json"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's name without its extension: a repository, route and directory name in the integration test. */
    public static String repositoryName(String file) {
        return file.substring(0, file.lastIndexOf('.'));
    }

    /** The committed bytes of a corpus file, placeholders and all. */
    public static byte[] template(String file) {
        try {
            return Files.readAllBytes(dir().resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The archives ({@code NAME-VERSION}) whose digests the template asks for, in the order they appear. */
    public static Set<String> archives(byte[] template) {
        Set<String> archives = new LinkedHashSet<>();
        Matcher m = DIGEST.matcher(latin1(template));
        while (m.find()) {
            archives.add(m.group(1));
        }
        return archives;
    }

    /**
     * The index an upstream at {@code upstream} would serve: {@value #UPSTREAM} replaced by {@code upstream} and
     * each {@code @DIGEST:NAME-VERSION@} by {@code digests.apply("NAME-VERSION")}; every other byte as committed.
     */
    public static byte[] fill(byte[] template, String upstream, Function<String, String> digests) {
        // ISO-8859-1 maps each byte to one char and back, so the UTF-8 text, the BOM and CRLF pass untouched
        String text = latin1(template).replace(UPSTREAM, upstream);
        Matcher m = DIGEST.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(digests.apply(m.group(1))));
        }
        m.appendTail(out);
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A stand-in digest for an archive nobody downloads: the SHA-256 of its name, 64 hex digits like a real one. */
    public static String fakeDigest(String archive) {
        return sha256(archive.getBytes(StandardCharsets.UTF_8));
    }

    /** Lower-case hex SHA-256, as helm writes it in {@code digest:}. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fails, naming the first differing byte, its line, and that line in both (CR shown as {@code \r}), unless equal. */
    public static void assertSameBytes(byte[] expected, byte[] actual) {
        String difference = firstDifference(expected, actual);
        if (difference != null) {
            fail(difference);
        }
    }

    private static String firstDifference(byte[] expected, byte[] actual) {
        int common = Math.min(expected.length, actual.length);
        int at = 0;
        while (at < common && expected[at] == actual[at]) {
            at++;
        }
        if (at == common && expected.length == actual.length) {
            return null;
        }
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < at; i++) {
            if (expected[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return "first difference at byte " + at + " (line " + line + ", " + expected.length + " bytes expected, "
                + actual.length + " actual)\n  expected: " + lineAt(expected, lineStart) + "\n  actual:   "
                + lineAt(actual, lineStart);
    }

    private static String lineAt(byte[] bytes, int start) {
        if (start >= bytes.length) {
            return "<end of input>";
        }
        int end = start;
        while (end < bytes.length && bytes[end] != '\n') {
            end++;
        }
        return new String(bytes, start, end - start, StandardCharsets.UTF_8).replace("\r", "\\r");
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
