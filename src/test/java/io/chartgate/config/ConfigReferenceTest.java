package io.chartgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration reference is checked against what the loader accepts: every key the loader
 * allows is documented, and the commented example names no key the loader would refuse.
 */
class ConfigReferenceTest {

    /** Every key named in an {@code allowOnly(…)} or {@code checked(…)} call of the loader. */
    private static TreeSet<String> acceptedKeys() throws IOException {
        String loader = Files.readString(Path.of("src/main/java/io/chartgate/config/ConfigLoader.java"));
        TreeSet<String> keys = new TreeSet<>();
        Matcher call = Pattern.compile("allowOnly\\(([^)]*)\\)").matcher(loader);
        while (call.find()) {
            Matcher key = Pattern.compile("\"([A-Za-z]+)\"").matcher(call.group(1));
            while (key.find()) {
                keys.add(key.group(1));
            }
        }
        Matcher single = Pattern.compile("checked\\([^,]+,\\s*\"([A-Za-z]+)\"\\)").matcher(loader);
        while (single.find()) {
            keys.add(single.group(1));
        }
        keys.addAll(MatchKey.yamlNames());
        return keys;
    }

    @Test
    void everyAcceptedKeyIsInTheReadmeReference() throws IOException {
        TreeSet<String> keys = acceptedKeys();
        assertTrue(keys.size() > 40, () -> "the loader's keys were not found: " + keys);
        String readme = Files.readString(Path.of("README.md"));
        List<String> missing = new ArrayList<>();
        for (String key : keys) {
            if (!Pattern.compile("`[^`\\n]*\\b" + key + "\\b[^`\\n]*`").matcher(readme).find()) {
                missing.add(key);
            }
        }
        assertEquals(List.of(), missing, "keys the loader accepts but README.md does not document");
    }

    @Test
    void theCommentedExampleUsesOnlyAcceptedKeys() throws IOException {
        TreeSet<String> keys = acceptedKeys();
        List<String> unknown = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("conf/chartgate.yaml"))) {
            Matcher m = Pattern.compile("^\\s*#?\\s*(?:- )?([A-Za-z]+):(?:\\s|$)").matcher(line);
            if (m.find() && !keys.contains(m.group(1))) {
                unknown.add(m.group(1));
            }
        }
        assertEquals(List.of(), unknown, "keys in conf/chartgate.yaml (comments included) that the loader refuses");
    }
}
