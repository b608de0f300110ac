/** The plain-HTTP admin server: /metrics, /healthz, /readyz, POST /-/reload and the status page (/ and /status.json). */
package io.chartgate.admin;
