{{/* Names, labels and the operator's command line, shared by every template. */}}

{{- define "scaleset-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "scaleset-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "scaleset-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "scaleset-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scaleset-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "scaleset-operator.labels" -}}
helm.sh/chart: {{ include "scaleset-operator.chart" . }}
{{ include "scaleset-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "scaleset-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "scaleset-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "scaleset-operator.headlessServiceName" -}}
{{- printf "%s-headless" (include "scaleset-operator.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
topologySpreadConstraints for more than one replica: the configured constraints, each given this
release's pods as labelSelector unless it names its own. One replica has nothing to spread.
*/}}
{{- define "scaleset-operator.topologySpread" -}}
{{- if and (gt (int .Values.replicaCount) 1) .Values.topologySpreadConstraints }}
{{- $pods := dict "matchLabels" (include "scaleset-operator.selectorLabels" . | fromYaml) }}
{{- $constraints := list }}
{{- range .Values.topologySpreadConstraints }}
{{- $constraints = append $constraints (ternary . (merge (dict "labelSelector" $pods) .) (hasKey . "labelSelector")) }}
{{- end }}
topologySpreadConstraints:
  {{- toYaml $constraints | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "scaleset-operator.peeringName" -}}
{{- default (include "scaleset-operator.fullname" .) .Values.peering.name -}}
{{- end -}}

{{- define "scaleset-operator.hashKeySecret" -}}
{{- default (printf "%s-hash-key" (include "scaleset-operator.fullname" .) | trunc 253) .Values.hashKey.existingSecret -}}
{{- end -}}

{{/* The peering objects: one, or one per shard (a shard's replicas are peers of each other only). */}}
{{- define "scaleset-operator.peeringNames" -}}
{{- $name := include "scaleset-operator.peeringName" . -}}
{{- if gt (int .Values.shards) 1 -}}
{{- range $shard := until (int .Values.shards) }}
- {{ $name }}-shard-{{ $shard }}
{{- end }}
{{- else }}
- {{ $name }}
{{- end }}
{{- end -}}

{{- define "scaleset-operator.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The arguments after the image's ENTRYPOINT ["scaleset-operator", "run"]. One "--flag=value" item
each, so the list reads the same in `kubectl get -o yaml` as on a command line. With peering, the
priority is the pod ordinal from the StatefulSet's apps.kubernetes.io/pod-index label, expanded by
the kubelet from $(POD_INDEX). Every process runs under its shard's Lease (--shard, also 0/1), in
the release namespace ($POD_NAMESPACE).
*/}}
{{- define "scaleset-operator.args" -}}
- --backend={{ .Values.backend }}
{{- range .Values.namespaces }}
- --namespace={{ . }}
{{- end }}
- --liveness-port={{ .Values.livenessPort }}
- {{ printf "--liveness-host=%s" .Values.livenessHost | quote }}
- --log-format={{ .Values.logFormat }}
- --hash-key-secret={{ .Release.Namespace }}/{{ include "scaleset-operator.hashKeySecret" . }}
{{- if .Values.metrics.enabled }}
- --metrics-port={{ .Values.metrics.port }}
- {{ printf "--metrics-host=%s" .Values.metrics.host | quote }}
{{- end }}
{{- if eq .Values.backend "fake" }}
- --speed={{ .Values.simulator.speed }}
- --admin-port={{ .Values.simulator.adminPort }}
{{- end }}
- --shard={{ .Shard | default 0 }}/{{ .Values.shards }}
- --lease-name={{ include "scaleset-operator.fullname" . }}
- --idle-read-share={{ .Values.idleReadShare }}
{{- if .Values.peering.enabled }}
- --peering={{ include "scaleset-operator.peeringName" . }}{{ if hasKey . "Shard" }}-shard-{{ .Shard }}{{ end }}
- --priority=$(POD_INDEX)
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The pod template shared by the Deployment (single replica) and the StatefulSet (peering). */}}
{{- define "scaleset-operator.podTemplate" -}}
metadata:
  labels:
    {{- include "scaleset-operator.selectorLabels" . | nindent 4 }}
    {{- if hasKey . "Shard" }}
    scaleset.dev/shard: {{ .Shard | quote }}
    {{- end }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- if and (eq .Values.backend "azure") (eq .Values.azure.auth "workloadIdentity") }}
    azure.workload.identity/use: "true"
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "scaleset-operator.serviceAccountName" . }}
  automountServiceAccountToken: true
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  {{- /* Graceful stop: passes in flight are cancelled, then the shard lease is released for the next holder. */}}
  terminationGracePeriodSeconds: 30
  containers:
    - name: operator
      image: {{ include "scaleset-operator.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        {{- include "scaleset-operator.args" . | nindent 8 }}
      env:
        - name: POD_ID  # kopf's peer identity: the pod name instead of user@host/timestamp
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE  # where the shard Leases live
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        {{- if .Values.peering.enabled }}
        - name: POD_INDEX  # the StatefulSet ordinal: this replica's distinct peering priority
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- if and (eq .Values.backend "azure") (eq .Values.azure.auth "secret") }}
      envFrom:
        - secretRef:
            name: {{ .Values.azure.existingSecret }}
      {{- end }}
      ports:
        - name: health
          containerPort: {{ .Values.livenessPort }}
          protocol: TCP
        {{- if .Values.metrics.enabled }}
        - name: metrics
          containerPort: {{ .Values.metrics.port }}
          protocol: TCP
        {{- end }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: health
        initialDelaySeconds: 15
        periodSeconds: 20
        timeoutSeconds: 5
        failureThreshold: 3
      readinessProbe:
        httpGet:
          path: /healthz
          port: health
        initialDelaySeconds: 5
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 3
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: tmp  # the root filesystem is read-only; libraries that need a scratch file get /tmp
      emptyDir:
        sizeLimit: 64Mi
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with include "scaleset-operator.topologySpread" . | trim }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* Cross-field checks, with messages that say what to change (the schema checks each field). */}}
{{- define "scaleset-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.peering.enabled) -}}
{{- fail (printf "replicaCount is %d but peering.enabled is false: without kopf peering every replica would reconcile the same ScaleSets. Set peering.enabled=true (active/standby) or replicaCount=1." (int .Values.replicaCount)) -}}
{{- end -}}
{{- if eq .Values.backend "azure" -}}
{{- if and (eq .Values.azure.auth "workloadIdentity") (not .Values.azure.workloadIdentity.clientId) -}}
{{- fail "backend=azure with azure.auth=workloadIdentity needs azure.workloadIdentity.clientId (the managed identity's or app registration's client ID)" -}}
{{- end -}}
{{- if and (eq .Values.azure.auth "secret") (not .Values.azure.existingSecret) -}}
{{- fail "backend=azure with azure.auth=secret needs azure.existingSecret: a Secret with AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET" -}}
{{- end -}}
{{- end -}}
{{- end -}}
