# rules/access.parity in Rego: namespaces, RBAC and service accounts.
package parity

import data.parity.lib
import rego.v1

# ---------------------------------------------------------------- namespace-parity

violation contains lib.finding("namespace-parity", lib.reference, ns, msg) if {
	some ns in lib.objects(lib.reference, "Namespace")
	missing := lib.missing_in(lib.reference, ns)
	count(missing) > 0
	msg := sprintf("namespace %s is missing in %v", [lib.name(ns), missing])
}

# ---------------------------------------------------------------- no-serviceaccount-cluster-admin

violation contains lib.finding("no-serviceaccount-cluster-admin", env, binding, msg) if {
	some env in lib.order
	some binding in lib.objects(env, "ClusterRoleBinding")
	binding.roleRef.kind == "ClusterRole"
	binding.roleRef.name == "cluster-admin"
	some subject in binding.subjects
	subject.kind == "ServiceAccount"
	msg := sprintf("ClusterRoleBinding %s gives cluster-admin to a ServiceAccount", [lib.name(binding)])
}

# ---------------------------------------------------------------- serviceaccount-exists

# A workload's ServiceAccount must exist in the workload's own namespace.
# Differs from parity for a workload without metadata.namespace: parity then
# accepts a ServiceAccount of that name in any namespace of the env (its
# sibling lookup falls back to the whole env), this rule looks in namespace
# "" like Kubernetes would look in the one the manifest is applied to. The
# generated corpus always sets namespaces.

service_accounts[env] := {lib.key(sa) | some sa in lib.objects(env, "ServiceAccount")} if some env in lib.order

violation contains lib.finding("serviceaccount-exists", env, w, msg) if {
	some env in lib.order
	some w in lib.workloads[env]
	account := lib.pod_spec(w).serviceAccountName
	lib.has(account)
	account != "default"
	not [lib.namespace(w), account] in service_accounts[env]
	msg := sprintf("%s %s uses ServiceAccount %v, which namespace %s does not have", [w.kind, lib.name(w), account, lib.namespace(w)])
}

# ---------------------------------------------------------------- clusterrole-parity

violation contains lib.finding("clusterrole-parity", lib.reference, role, msg) if {
	some role in lib.objects(lib.reference, "ClusterRole")
	not startswith(role.metadata.name, "system:")
	missing := lib.missing_in(lib.reference, role)
	count(missing) > 0
	msg := sprintf("ClusterRole %s is missing in %v", [lib.name(role), missing])
}

# ---------------------------------------------------------------- no-wildcard-clusterrole

violation contains lib.finding("no-wildcard-clusterrole", env, role, msg) if {
	some env in lib.order
	some role in lib.objects(env, "ClusterRole")
	not startswith(role.metadata.name, "system:")
	role.metadata.name != "cluster-admin"
	some rule in role.rules
	"*" in rule.verbs
	"*" in rule.resources
	msg := sprintf("ClusterRole %s grants every verb on every resource", [lib.name(role)])
}

# ---------------------------------------------------------------- no-workloads-in-default-namespace

violation contains lib.finding("no-workloads-in-default-namespace", env, w, msg) if {
	some env in lib.order
	some w in lib.workloads[env]
	w.metadata.namespace == "default"
	msg := sprintf("%s %s runs in the default namespace", [w.kind, lib.name(w)])
}
