/** The plain-HTTP admin server: /metrics, /healthz and /readyz. */
package io.chartgate.admin;
