{{- define "chartgate.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "chartgate.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "chartgate.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "chartgate.tlsSecret" -}}
{{- if .Values.tls.existingSecret -}}{{ .Values.tls.existingSecret }}{{- else -}}{{ include "chartgate.fullname" . }}-tls{{- end -}}
{{- end -}}

{{- define "chartgate.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The JVM's options: the fixed ones first, then jvmOptions (which may override the heap and direct memory). */}}
{{- define "chartgate.javaToolOptions" -}}
{{ printf "-Djava.io.tmpdir=/tmp -XX:+ExitOnOutOfMemoryError %s" (.Values.jvmOptions | default "") | trim }}
{{- end -}}

{{/* How many gateway pods run at least: one in sidecar mode, else replicaCount or the autoscaler's minimum. */}}
{{- define "chartgate.minReplicas" -}}
{{- if eq .Values.mode "sidecar" -}}1
{{- else if .Values.autoscaling.enabled -}}{{ .Values.autoscaling.minReplicas }}
{{- else -}}{{ .Values.replicaCount }}
{{- end -}}
{{- end -}}

{{/* A byte size as chartgate's configuration writes it (a number, or with k, M, G, T, Ki, Mi, Gi, Ti), in MiB, rounded up. */}}
{{- define "chartgate.mebibytes" -}}
{{- $v := . -}}
{{- $bytes := 0 -}}
{{- if or (kindIs "float64" $v) (kindIs "int" $v) (kindIs "int64" $v) -}}
{{- $bytes = int64 $v -}}
{{- else -}}
{{- $s := toString $v | trim -}}
{{- $n := regexFind "^[0-9]+" $s -}}
{{- $unit := trim (trimPrefix $n $s) -}}
{{- $units := dict "" 1 "k" 1000 "Ki" 1024 "M" 1000000 "Mi" 1048576 "G" 1000000000 "Gi" 1073741824 "T" 1000000000000 "Ti" 1099511627776 -}}
{{- if or (not $n) (not (hasKey $units $unit)) -}}
{{- fail (printf "%q is not a size (expected bytes, e.g. 1073741824, 512Mi or 4Gi)" $s) -}}
{{- end -}}
{{- $bytes = mul (int64 $n) (get $units $unit) -}}
{{- end -}}
{{- div (add $bytes 1048575) 1048576 -}}
{{- end -}}

{{/* /tmp's sizeLimit: tmpSizeLimit, else 64Mi plus the spool of every s3 route that spools uploads. */}}
{{- define "chartgate.tmpSizeLimit" -}}
{{- if .Values.tmpSizeLimit -}}{{ .Values.tmpSizeLimit }}
{{- else -}}
{{- $mi := 64 -}}
{{- if ne .Values.mode "sidecar" -}}
{{- range .Values.routes -}}
{{- if and (eq (toString .upstream.type) "s3") (eq (toString .upstream.payloadSigning) "spool") -}}
{{- $mi = add $mi (include "chartgate.mebibytes" (.upstream.spoolMaxBytes | default "4Gi")) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $mi }}Mi
{{- end -}}
{{- end -}}

{{/* The TCP port of an upstream URL: its own, else the scheme's. */}}
{{- define "chartgate.urlPort" -}}
{{- $u := urlParse . -}}
{{- $port := regexFind ":[0-9]+$" $u.host | trimPrefix ":" -}}
{{- if $port -}}{{ $port }}{{- else if eq $u.scheme "https" -}}443{{- else -}}80{{- end -}}
{{- end -}}

{{/*
The ports the gateway connects to, one a line, from the routes (standalone) or ChartMuseum's storage (sidecar:
ChartMuseum itself is on loopback, which no NetworkPolicy governs). A URL written as ${VAR} cannot be read here.
*/}}
{{- define "chartgate.upstreamPorts" -}}
{{- $ports := dict -}}
{{- if eq .Values.mode "sidecar" -}}
{{- if ne (toString .Values.chartmuseum.storage) "local" -}}{{- $_ := set $ports "443" true -}}{{- end -}}
{{- else -}}
{{- range $i, $route := .Values.routes -}}
{{- $up := $route.upstream | default dict -}}
{{- $type := toString $up.type -}}
{{- $url := "" -}}
{{- if has $type (list "http" "oci") -}}
{{- $url = toString $up.url -}}
{{- else if eq $type "s3" -}}
{{- $url = $up.endpoint | default "https://s3.amazonaws.com" | toString -}}
{{- end -}}
{{- if $url -}}
{{- if contains "${" $url -}}
{{- fail (printf "routes[%d].upstream: the NetworkPolicy needs the upstream's port, and %q names it through an environment variable; write the URL itself (it is not a secret), or set networkPolicy.enabled=false" $i $url) -}}
{{- end -}}
{{- $_ := set $ports (include "chartgate.urlPort" $url) true -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $port, $_ := $ports }}
{{ $port }}
{{- end -}}
{{- end -}}

{{/* What the schema cannot say: combinations of values that would render a chart that silently does not work. */}}
{{- define "chartgate.validate" -}}
{{- if and (or .Values.crl.secretName .Values.crl.configMapName) (not .Values.crl.keys) -}}
{{- fail "crl: secretName or configMapName is set but crl.keys is empty, so no CRL would be mounted and revocation would be off; list the CRL keys (e.g. crl.keys={ca.crl})" -}}
{{- end -}}
{{- if and .Values.crl.keys (not (or .Values.crl.secretName .Values.crl.configMapName)) -}}
{{- fail "crl.keys is set but neither crl.secretName nor crl.configMapName says where the CRLs are" -}}
{{- end -}}
{{- if and .Values.serviceMonitor.enabled .Values.networkPolicy.enabled (not .Values.networkPolicy.metricsFrom) -}}
{{- fail "serviceMonitor.enabled needs networkPolicy.metricsFrom (e.g. a namespaceSelector for Prometheus's namespace): the NetworkPolicy lets nobody reach the admin port otherwise, so nothing would be scraped" -}}
{{- end -}}
{{- if and (ne .Values.mode "sidecar") (not .Values.routes) -}}
{{- fail "routes: standalone mode needs at least one route (or mode=sidecar)" -}}
{{- end -}}
{{- if and .Values.publicUrl .Values.tls.certManager.enabled -}}
{{- $host := (urlParse .Values.publicUrl).host | regexReplaceAll ":[0-9]+$" "" -}}
{{- if not (has $host .Values.tls.certManager.dnsNames) -}}
{{- fail (printf "publicUrl's host %q is not among tls.certManager.dnsNames %v: clients would reject the certificate" $host .Values.tls.certManager.dnsNames) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The gateway's configuration, rendered from the values; paths are where the Deployment mounts things. */}}
{{- define "chartgate.config" -}}
server:
  host: 0.0.0.0
  port: 8443
  {{- with .Values.publicUrl }}
  publicUrl: {{ . | quote }}
  {{- end }}
  tls:
    certFile: /etc/chartgate/tls/tls.crt
    keyFile: /etc/chartgate/tls/tls.key
    clientCaFile: /etc/chartgate/client-ca/{{ .Values.clientCa.key }}
    {{- if or .Values.intermediateCa.secretName .Values.intermediateCa.configMapName }}
    intermediateCaFile: /etc/chartgate/intermediate-ca/{{ .Values.intermediateCa.key }}
    {{- end }}
    clientAuth: {{ .Values.clientAuth }}
    {{- with .Values.tlsEngine }}
    engine: {{ . }}
    {{- end }}
    {{- if .Values.crl.keys }}
    crlFiles:
    {{- range .Values.crl.keys }}
      - /etc/chartgate/crl/{{ . }}
    {{- end }}
    {{- end }}
    {{- if or .Values.crl.keys .Values.crl.fetch.enabled }}
    crlStale: {{ .Values.crl.stale }}
    {{- end }}
    {{- if .Values.crl.fetch.enabled }}
    crlFetch: true
    crlFetchIntervalSeconds: {{ .Values.crl.fetch.intervalSeconds }}
    crlCacheDir: /tmp/chartgate-crls
    {{- end }}
  limits: {{ toJson .Values.limits }}
  forwardClientCert: {{ .Values.forwardClientCert }}
  shutdownGraceSeconds: {{ .Values.shutdownGraceSeconds }}
admin:
  host: 0.0.0.0
  port: {{ .Values.adminPort }}
routes:
{{- if eq .Values.mode "sidecar" }}
  - name: chartmuseum
    prefix: /
    upstream: { type: http, url: "http://127.0.0.1:8080" }
{{- else }}
{{ toYaml .Values.routes | indent 2 }}
{{- end }}
policy: {{ toJson .Values.policy }}
metrics: {{ toJson .Values.metrics }}
reload: { watchIntervalSeconds: {{ .Values.reloadWatchIntervalSeconds }} }
{{- end -}}
