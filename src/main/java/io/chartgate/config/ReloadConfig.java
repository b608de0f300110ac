package io.chartgate.config;

/** How often the configuration and the files it names are checked for changes. */
public record ReloadConfig(int watchIntervalSeconds) {

    public static final ReloadConfig DEFAULTS = new ReloadConfig(2);
}
