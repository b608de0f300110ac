package io.chartgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;
import java.util.Map;

/**
 * Replaces {@code ${NAME}} in every text value of the tree with environment variable NAME. A variable that
 * is not set is an error naming it (never an empty string); {@code $${} stands for a literal {@code ${}.
 * Values are substituted after parsing, so a variable can never inject YAML structure.
 */
final class EnvExpander {

    private final Map<String, String> env;

    EnvExpander(Map<String, String> env) {
        this.env = env;
    }

    void expand(JsonNode node, String path, List<ConfigError> errors) {
        if (node instanceof ObjectNode object) {
            var fields = object.fields();
            while (fields.hasNext()) {
                var field = fields.next();
                String childPath = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                if (field.getValue().isTextual()) {
                    field.setValue(new TextNode(expandText(field.getValue().asText(), childPath, errors)));
                } else {
                    expand(field.getValue(), childPath, errors);
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                String childPath = path + "[" + i + "]";
                if (array.get(i).isTextual()) {
                    array.set(i, new TextNode(expandText(array.get(i).asText(), childPath, errors)));
                } else {
                    expand(array.get(i), childPath, errors);
                }
            }
        }
    }

    String expandText(String text, String path, List<ConfigError> errors) {
        if (!text.contains("${")) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (text.startsWith("${", i)) {
                int end = text.indexOf('}', i + 2);
                String name = end < 0 ? null : text.substring(i + 2, end);
                if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    errors.add(new ConfigError(path, "malformed variable reference (expected ${NAME}; write $${ for a literal ${)"));
                    return text;
                }
                String value = env.get(name);
                if (value == null) {
                    errors.add(new ConfigError(path, "environment variable " + name + " is not set"));
                    return text;
                }
                out.append(value);
                i = end + 1;
            } else {
                out.append(text.charAt(i++));
            }
        }
        return out.toString();
    }
}
