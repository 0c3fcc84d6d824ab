# Helpers shared by the Rego versions of parity's standard rules (the
# `benches/vs_regorus.rs` side-by-side benchmark; docs/performance.md).
#
# Input, built by the benchmark from the same env folders parity reads:
#
#   {
#     "order": ["dev", "staging", "prod"],          # promotion order
#     "envs": {
#       "dev": {
#         "version": "v1.30.4",                     # only for snapshot envs
#         "objects": {"Deployment": [...], ...}     # by kind, in load order
#       }, ...
#     }
#   }
#
# The last env in `order` is the reference env. Objects are grouped by kind
# the way `kubectl get <kind> -A -o json` lists them (Gatekeeper's
# `data.inventory` groups them the same way); everything else is the
# manifest as written.
#
# The rules follow parity's semantics for well-formed manifests (every rule
# agrees with parity on the rules/tests cases, the examples and the generated
# corpora). Known differences on malformed input, none of which the corpus
# has: kinds are matched as written (parity ignores case); a field of the
# wrong type is compared as Rego compares it (parity: a comparison of
# different types is false, so `x != ""` is false for a number); two objects
# with the same kind, namespace and name in one env make `index` conflict
# (parity pairs the first); and serviceaccount-exists, see access.rego.
package parity.lib

import rego.v1

order := input.order

reference := order[count(order) - 1]

# The env just before `env` in promotion order; undefined for the first.
previous(env) := order[i - 1] if {
	some i, e in order
	e == env
	i > 0
}

# An env's objects of one kind ([] when it has none).
objects(env, kind) := object.get(input.envs[env].objects, kind, [])

# How an object is reported and paired with its counterpart in another env.
name(o) := n if {
	n := o.metadata.name
	is_string(n)
} else := ""

namespace(o) := ns if {
	ns := o.metadata.namespace
	is_string(ns)
} else := ""

key(o) := [namespace(o), name(o)]

finding(rule, env, o, msg) := {
	"rule": rule,
	"env": env,
	"kind": o.kind,
	"namespace": namespace(o),
	"name": name(o),
	"msg": msg,
}

# A finding about an env as a whole (parity's env-level findings).
env_finding(rule, env, msg) := {
	"rule": rule,
	"env": env,
	"kind": "",
	"namespace": "",
	"name": "",
	"msg": msg,
}

# parity's `exists`: present and not null.
has(x) if x != null

# parity's `is not empty`: not absent, null, "", [] or {}. (Test emptiness
# with `not non_empty(x)`: a function called on an undefined value is
# undefined, not true.)
non_empty(x) if {
	x != null
	x != ""
	x != []
	x != {}
}

# ------------------------------------------------------------ workloads

# Kinds that carry a pod spec, and where.
pod_spec(w) := w.spec if w.kind == "Pod"

pod_spec(w) := w.spec.template.spec if w.kind in {
	"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
	"ReplicationController", "Job",
}

pod_spec(w) := w.spec.jobTemplate.spec.template.spec if w.kind == "CronJob"

workload_kinds := [
	"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
	"ReplicationController", "Job", "CronJob",
]

# Every workload of each env.
workloads[env] := [w |
	some kind in workload_kinds
	some w in objects(env, kind)
] if some env in order

# Every container of a workload: init, regular and ephemeral.
containers(w) := [c |
	spec := pod_spec(w)
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some c in spec[field]
]

# ------------------------------------------------------------ values

# A Kubernetes quantity (`500m`, `1Gi`, `4`) as a number.
quantity(q) := q if is_number(q)

quantity(q) := units.parse(q) if is_string(q)

# The minor release of a version, `v1.30.4-eks-1` → "1.30" (the `v` is
# optional; a release without a minor part has minor 0). Undefined for text
# that is not a version.
minor(v) := sprintf("%d.%d", [to_number(release[0]), to_number(second(release))]) if {
	is_string(v)
	text := trim_space(v)
	regex.match(`^[vV]?[0-9]+(\.[0-9]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`, text)
	release := split(split(split(trim_left(text, "vV"), "+")[0], "-")[0], ".")
}

second(parts) := parts[1] if count(parts) > 1

second(parts) := "0" if count(parts) == 1

# ------------------------------------------------------------ counterparts

# The kinds the cross-env rules pair across envs.
paired_kinds := {"Namespace", "NetworkPolicy", "StorageClass", "ClusterRole", "Deployment", "Service", "ConfigMap"}

# Each env's objects of those kinds by [namespace, name]: an object's
# counterpart in env E is index[E][kind][key(o)].
index[env] := {kind: by_key |
	some kind in paired_kinds
	by_key := {key(o): o | some o in objects(env, kind)}
} if some env in order

# The envs (other than its own) where an object of `env` has no counterpart.
missing_in(env, o) := [other |
	some other in order
	other != env
	not index[other][o.kind][key(o)]
]
