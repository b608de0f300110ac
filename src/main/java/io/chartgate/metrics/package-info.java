/** Meter names and labels (the metrics contract), the registry and the expiry gauges. */
package io.chartgate.metrics;
