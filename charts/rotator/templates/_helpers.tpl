{{/* Names and labels. */}}
{{- define "rotator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rotator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "rotator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "rotator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rotator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "rotator.labels" -}}
helm.sh/chart: {{ include "rotator.chart" . }}
{{ include "rotator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "rotator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rotator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Where the ConfigMap is mounted (as a directory, so that its updates reach the file) and the file the worker reads. */}}
{{- define "rotator.configDir" -}}/etc/rotator{{- end }}
{{- define "rotator.configFile" -}}{{ include "rotator.configDir" . }}/rotator.json{{- end }}

{{/*
Checks that values.schema.json cannot express well, or whose schema message would be unclear. Helm checks the schema
before rendering; these give the same verdicts with a message that says what to do. The vault URI pattern is read
from the schema, so it lives in one place.
*/}}
{{- define "rotator.validate" -}}
{{- $schema := .Files.Get "values.schema.json" | fromJson }}
{{- $uriPattern := $schema.properties.vault.properties.uri.pattern }}
{{- if ne (int .Values.replicaCount) 1 }}
{{- fail (printf "replicaCount is %v: this version runs exactly one replica (its scheduler keeps state in memory, and two workers on one vault stop each other); set replicaCount: 1" .Values.replicaCount) }}
{{- end }}
{{- if ne .Values.environment "Production" }}
{{- fail (printf "environment is %q: only Production is supported in a cluster (Development falls back to a local vault); remove the setting" .Values.environment) }}
{{- end }}
{{- if not .Values.vault.uri }}
{{- fail "vault.uri is required: set it to your Azure Key Vault's URI, e.g. --set vault.uri=https://my-vault.vault.azure.net/" }}
{{- end }}
{{- if not (regexMatch $uriPattern .Values.vault.uri) }}
{{- fail (printf "vault.uri %q is not an Azure Key Vault URI: use https://<vault-name>.vault.azure.net/ (or .vault.azure.cn, .vault.usgovcloudapi.net, .vault.microsoftazure.de)" .Values.vault.uri) }}
{{- end }}
{{- if and (eq .Values.vault.credential "WorkloadIdentity") .Values.serviceAccount.create (not .Values.workloadIdentity.clientId) }}
{{- fail "workloadIdentity.clientId is required with vault.credential WorkloadIdentity: set the client id of the identity federated with this ServiceAccount (or use serviceAccount.create=false with an annotated ServiceAccount of your own)" }}
{{- end }}
{{- $owned := dict "workerid" "it is the release name" "admin" "use admin.port and admin.keys" "keys" "use keys" }}
{{- range $field, $_ := (.Values.config | default dict) }}
{{- with get $owned (lower $field) }}
{{- fail (printf "config.%s: the chart sets this itself; %s" $field .) }}
{{- end }}
{{- $instead := get (dict "vault" (dict "uri" "vault.uri" "credential" "vault.credential") "webhook" (dict "url" "webhook.urlSecret (the URL is a credential)" "format" "webhook.format")) (lower $field) }}
{{- range $inner, $_ := (kindIs "map" .) | ternary . dict }}
{{- with get ($instead | default dict) (lower $inner) }}
{{- fail (printf "config.%s.%s: use %s" $field $inner .) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and .Values.admin.keys (not .Values.admin.seedSecret) }}
{{- fail "admin.seedSecret is required with admin.keys: name the existing Secret that holds each admin key's first value (under its seedKey)" }}
{{- end }}
{{- end }}

{{/* The worker's configuration file: the Rotator section built from values (the chart's own settings win over config). */}}
{{- define "rotator.settings" -}}
{{- $vault := dict "Uri" .Values.vault.uri "Credential" .Values.vault.credential }}
{{- if .Values.vault.managedIdentityClientId }}
{{- $_ := set $vault "ManagedIdentityClientId" .Values.vault.managedIdentityClientId }}
{{- end }}
{{- $adminKeys := list }}
{{- range .Values.admin.keys }}
{{- $key := dict "Name" .name "Role" .role "Secret" .secret }}
{{- if .schedule }}
{{- $_ := set $key "Schedule" .schedule }}
{{- end }}
{{- $adminKeys = append $adminKeys $key }}
{{- end }}
{{- $admin := dict "Urls" (printf "http://0.0.0.0:%d" (int .Values.admin.port)) "Keys" $adminKeys }}
{{- $rotator := dict "Vault" $vault "WorkerId" .Release.Name "Admin" $admin "Keys" (.Values.keys | default list) }}
{{- if .Values.webhook.urlSecret.name }}
{{- $_ := set $rotator "Webhook" (dict "Format" .Values.webhook.format) }}
{{- end }}
{{- /* mustMergeOverwrite replaces lists rather than merging them: the chart's own lists win whole. */}}
{{- $merged := mustMergeOverwrite (deepCopy (.Values.config | default dict)) $rotator }}
{{- dict "Rotator" $merged | toPrettyJson }}
{{- end }}

{{/* The port of a URL: explicit, or the scheme's default. */}}
{{- define "rotator.urlPort" -}}
{{- $url := urlParse . }}
{{- $port := regexFind ":[0-9]+$" $url.host | trimPrefix ":" }}
{{- if $port }}{{ $port }}{{ else if eq $url.scheme "http" }}80{{ else }}443{{ end }}
{{- end }}

{{/* Comma-separated TCP ports (besides 443) that the keys' consumers, verifiers and vendor APIs listen on. */}}
{{- define "rotator.egressPorts" -}}
{{- $ports := list }}
{{- range .Values.keys }}
{{- range (concat (.Consumers | default list) (.Verifiers | default list)) }}
{{- if .Url }}
{{- $ports = append $ports (include "rotator.urlPort" .Url) }}
{{- end }}
{{- end }}
{{- with .Issuer }}{{ with .Http }}{{ with .BaseUrl }}
{{- $ports = append $ports (include "rotator.urlPort" .) }}
{{- end }}{{ end }}{{ end }}
{{- end }}
{{- without ($ports | uniq) "443" | join "," }}
{{- end }}

{{/* The PromQL label selector of this release's series. */}}
{{- define "rotator.promSelector" -}}
{{- .Values.prometheusRule.selector | default (printf "namespace=%q,service=%q" .Release.Namespace (include "rotator.fullname" .)) }}
{{- end }}
