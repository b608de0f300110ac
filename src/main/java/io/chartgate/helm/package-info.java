/**
 * Helm-specific handling: index.yaml URL rewriting and its cache, provenance. Knows nothing of Vert.x
 * request objects.
 */
package io.chartgate.helm;
