# rules/network.parity in Rego: namespaces are closed unless a policy opens
# them, the same way in every env.
package parity

import data.parity.lib
import rego.v1

# ---------------------------------------------------------------- namespace-default-deny

system_namespaces := {"kube-system", "kube-public", "kube-node-lease", "default"}

# A NetworkPolicy that selects every pod and allows nothing in or out.
deny_all(p) if {
	not lib.non_empty(p.spec.podSelector)
	every t in ["Ingress", "Egress"] {
		t in p.spec.policyTypes
	}
	not lib.non_empty(p.spec.ingress)
	not lib.non_empty(p.spec.egress)
}

# The namespaces of each env that hold a deny-all policy.
default_denied[env] := {lib.namespace(p) | some p in lib.objects(env, "NetworkPolicy"); deny_all(p)} if some env in lib.order

violation contains lib.finding("namespace-default-deny", env, ns, msg) if {
	some env in lib.order
	some ns in lib.objects(env, "Namespace")
	not lib.name(ns) in system_namespaces
	not lib.name(ns) in default_denied[env]
	msg := sprintf("namespace %s has no NetworkPolicy that denies all ingress and egress by default", [lib.name(ns)])
}

# ---------------------------------------------------------------- networkpolicy-parity

violation contains lib.finding("networkpolicy-parity", lib.reference, p, msg) if {
	some p in lib.objects(lib.reference, "NetworkPolicy")
	missing := lib.missing_in(lib.reference, p)
	count(missing) > 0
	msg := sprintf("NetworkPolicy %s/%s is missing in %v", [lib.namespace(p), lib.name(p), missing])
}

# ---------------------------------------------------------------- ingress-class-exists

ingress_classes[env] := {lib.name(c) | some c in lib.objects(env, "IngressClass")} if some env in lib.order

violation contains lib.finding("ingress-class-exists", env, ing, msg) if {
	some env in lib.order
	some ing in lib.objects(env, "Ingress")
	class := ing.spec.ingressClassName
	lib.has(class)
	not class in ingress_classes[env]
	msg := sprintf("Ingress %s names IngressClass %v, which %s does not have", [lib.name(ing), class, env])
}
