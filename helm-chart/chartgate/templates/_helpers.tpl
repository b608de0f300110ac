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
    clientAuth: {{ .Values.clientAuth }}
    {{- if .Values.crl.keys }}
    crlFiles:
    {{- range .Values.crl.keys }}
      - /etc/chartgate/crl/{{ . }}
    {{- end }}
    crlStale: {{ .Values.crl.stale }}
    {{- end }}
  limits: {{ toJson .Values.limits }}
  forwardClientCert: {{ .Values.forwardClientCert }}
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
