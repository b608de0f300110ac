package io.chartgate.config;

/** Metric settings: how many distinct principals get their own label value before the rest become "other". */
public record MetricsConfig(int maxPrincipals) {

    public static final MetricsConfig DEFAULTS = new MetricsConfig(100);
}
