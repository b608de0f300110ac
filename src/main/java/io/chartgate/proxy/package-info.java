/** The request handler that runs a request's way (identity, canonical path, route, access, policy, upstream) and the error responses. */
package io.chartgate.proxy;
