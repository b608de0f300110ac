/** The plain-HTTP admin server: /metrics, /healthz, /readyz and POST /-/reload. */
package io.chartgate.admin;
