package io.chartgate.config;

/**
 * One problem in a configuration file: where it is ({@code routes[1].upstream.type}) and what is wrong.
 * The message never contains a secret's value.
 */
public record ConfigError(String keyPath, String message) {

    @Override
    public String toString() {
        return keyPath.isEmpty() ? message : keyPath + ": " + message;
    }
}
